namespace Pressluft.Contracts;

/// <summary>Job statuses (<c>jobs.status</c>).</summary>
public static class JobStatuses
{
    /// <summary>Created, waiting for a worker.</summary>
    public const string Queued = "queued";

    /// <summary>A worker has started it.</summary>
    public const string Running = "running";

    /// <summary>Finished without error.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Finished with a structured error (<c>error_code</c>, <c>error_message</c>).</summary>
    public const string Failed = "failed";

    /// <summary>Stopped before it finished, for example superseded by a newer mutation. Never triggers a rollback.</summary>
    public const string Cancelled = "cancelled";
}

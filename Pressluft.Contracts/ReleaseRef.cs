namespace Pressluft.Contracts;

/// <summary>A release of an environment: its id and its directory on the node.</summary>
public sealed record ReleaseRef
{
    /// <summary>Release id (UUID).</summary>
    public required Guid Id { get; init; }

    /// <summary>Absolute path of the release directory, <c>&lt;sites root&gt;/&lt;site id&gt;/releases/&lt;release&gt;</c>.</summary>
    public required string Path { get; init; }
}

namespace Pressluft.Contracts;

/// <summary>One entry of the job error registry.</summary>
/// <param name="Code">Stable UPPER_SNAKE_CASE code stored in <c>jobs.error_code</c>.</param>
/// <param name="Retryable">Whether the upstream job retry policy may retry a job that failed with it.</param>
/// <param name="Description">What the code means, for operators.</param>
public sealed record ErrorCode(string Code, bool Retryable, string Description);

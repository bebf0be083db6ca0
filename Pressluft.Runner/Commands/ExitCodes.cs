namespace Pressluft.Runner.Commands;

/// <summary>Exit codes of the CLI (listed in <c>--help</c> and docs/operations.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The operation ran and did not succeed: gate failed, refused, nothing to reset, timed out, service unreachable.</summary>
    public const int Failed = 1;

    /// <summary>Bad input or configuration (parse errors included); nothing was changed.</summary>
    public const int BadInput = 2;
}

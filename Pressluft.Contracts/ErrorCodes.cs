namespace Pressluft.Contracts;

/// <summary>
/// The job error registry. Append-only: a code is never renamed or removed (a test pins it).
/// The Ansible codes are upstream's; the health and rollback codes are this feature's.
/// </summary>
public static class ErrorCodes
{
    /// <summary>ansible-playbook exit 1.</summary>
    public const string AnsiblePlayError = "ANSIBLE_PLAY_ERROR";

    /// <summary>ansible-playbook exit 2: a host failed.</summary>
    public const string AnsibleHostFailed = "ANSIBLE_HOST_FAILED";

    /// <summary>ansible-playbook exit 4: a host was unreachable.</summary>
    public const string AnsibleHostUnreachable = "ANSIBLE_HOST_UNREACHABLE";

    /// <summary>ansible-playbook exit 5: bad options or playbook syntax.</summary>
    public const string AnsibleSyntaxError = "ANSIBLE_SYNTAX_ERROR";

    /// <summary>ansible-playbook exit 250: unexpected error.</summary>
    public const string AnsibleUnexpectedError = "ANSIBLE_UNEXPECTED_ERROR";

    /// <summary>Any other non-zero ansible-playbook exit.</summary>
    public const string AnsibleUnknownExit = "ANSIBLE_UNKNOWN_EXIT";

    /// <summary>ansible-playbook was killed at its timeout.</summary>
    public const string AnsibleTimeout = "ANSIBLE_TIMEOUT";

    /// <summary>A handler that is not Ansible ran over its time.</summary>
    public const string JobTimeout = "JOB_TIMEOUT";

    /// <summary>A required health check was measured and bad; details name each check.</summary>
    public const string HealthCheckFailed = "HEALTH_CHECK_FAILED";

    /// <summary>The health check could not measure, after every allowed retry.</summary>
    public const string HealthCheckInconclusive = "HEALTH_CHECK_INCONCLUSIVE";

    /// <summary>No health check answer arrived before the gate's deadline, after every allowed retry.</summary>
    public const string HealthCheckTimeout = "HEALTH_CHECK_TIMEOUT";

    /// <summary>The rollback playbook failed or refused its target.</summary>
    public const string RollbackFailed = "ROLLBACK_FAILED";

    /// <summary>No rollback answer arrived before the gate's deadline.</summary>
    public const string RollbackTimeout = "ROLLBACK_TIMEOUT";

    /// <summary>No release to roll back to: no prior release and no other healthy one.</summary>
    public const string RollbackNoPriorRelease = "ROLLBACK_NO_PRIOR_RELEASE";

    /// <summary>The restored release failed its own health check after the rollback.</summary>
    public const string RollbackVerificationFailed = "ROLLBACK_VERIFICATION_FAILED";

    /// <summary>A newer mutation of the same environment replaced this gate.</summary>
    public const string GateSuperseded = "GATE_SUPERSEDED";

    /// <summary>The mutation contradicts the ledger (an environment of another site, a release of another environment); nothing was gated.</summary>
    public const string MutationRejected = "MUTATION_REJECTED";

    /// <summary>A runner refused a job whose values break the boundary rules; nothing ran and nothing was measured.</summary>
    public const string JobRejected = "JOB_REJECTED";

    /// <summary>Every registered code, in registration order.</summary>
    public static IReadOnlyList<ErrorCode> All { get; } =
    [
        new(AnsiblePlayError, true, "ansible-playbook exited 1 (play error)."),
        new(AnsibleHostFailed, true, "ansible-playbook exited 2 (a task failed on the host)."),
        new(AnsibleHostUnreachable, true, "ansible-playbook exited 4 (host unreachable)."),
        new(AnsibleSyntaxError, false, "ansible-playbook exited 5 (bad options or playbook syntax)."),
        new(AnsibleUnexpectedError, false, "ansible-playbook exited 250 (unexpected error)."),
        new(AnsibleUnknownExit, false, "ansible-playbook exited with an unregistered code."),
        new(AnsibleTimeout, true, "ansible-playbook was killed at its timeout."),
        new(JobTimeout, false, "A handler that is not Ansible ran over its time."),
        new(HealthCheckFailed, false, "A required health check was measured and failed; the release is unhealthy."),
        new(HealthCheckInconclusive, false, "The health check could not measure after every allowed retry."),
        new(HealthCheckTimeout, false, "No health check answer before the deadline, after every allowed retry."),
        new(RollbackFailed, false, "The rollback playbook failed or refused its target."),
        new(RollbackTimeout, false, "No rollback answer before the deadline."),
        new(RollbackNoPriorRelease, false, "No prior or other healthy release to roll back to."),
        new(RollbackVerificationFailed, false, "The restored release failed its health check after the rollback."),
        new(GateSuperseded, false, "A newer mutation of the environment replaced this gate."),
        new(MutationRejected, false, "The mutation contradicts the ledger; it was recorded as rejected and nothing was gated."),
        new(JobRejected, false, "A runner refused the job's values; nothing ran and nothing was measured."),
    ];

    /// <summary>Looks a code up; null when it is not registered.</summary>
    public static ErrorCode? Find(string code) => All.FirstOrDefault(c => c.Code == code);

    /// <summary>The registry code for an ansible-playbook exit code (null for 0).</summary>
    public static string? ForAnsibleExit(int exitCode) => exitCode switch
    {
        0 => null,
        1 => AnsiblePlayError,
        2 => AnsibleHostFailed,
        4 => AnsibleHostUnreachable,
        5 => AnsibleSyntaxError,
        250 => AnsibleUnexpectedError,
        _ => AnsibleUnknownExit,
    };
}

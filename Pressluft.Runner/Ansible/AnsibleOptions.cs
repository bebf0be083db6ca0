using System.ComponentModel.DataAnnotations;

namespace Pressluft.Runner.Ansible;

/// <summary><c>Pressluft:Ansible</c>: how the runner reaches nodes and runs the playbooks.</summary>
public sealed class AnsibleOptions
{
    public const string SectionName = "Pressluft:Ansible";

    /// <summary>The ansible-playbook executable (name on PATH or absolute path).</summary>
    [Required]
    public string AnsiblePlaybookPath { get; set; } = "ansible-playbook";

    /// <summary>
    /// The Python that runs <c>playbook-launcher.py</c>, which starts ansible-playbook in a process group of its own and
    /// kills all of it when the runner goes away (name on PATH or absolute path). When empty, the Python that runs
    /// ansible-playbook itself (see <see cref="LauncherPython"/>).
    /// </summary>
    public string? PythonPath { get; set; }

    /// <summary>
    /// Keep the next run's ansible-playbook started and waiting, with Ansible's modules imported (about 0.6 s of each run's
    /// start-up, see <c>playbook-preload.py</c>). It applies when ansible-playbook is a Python script whose <c>#!</c>
    /// line names an absolute Python without options; a change of ansible.cfg, ansible-playbook or these settings
    /// starts a new one.
    /// </summary>
    public bool PreloadAnsiblePlaybook { get; set; } = true;

    /// <summary>The folder holding <c>ansible.cfg</c> and <c>playbooks/</c>; by default the copy shipped beside the binary.</summary>
    public string? AnsibleDirectory { get; set; }

    /// <summary><c>ssh</c> (real nodes) or <c>local</c> (the node is this machine: the demo and tests).</summary>
    [RegularExpression("^(ssh|local)$")]
    public string Connection { get; set; } = "ssh";

    /// <summary>Private key Ansible logs in with, when not the SSH agent's default.</summary>
    public string? SshPrivateKeyFile { get; set; }

    /// <summary>
    /// Where job folders (inventory, variables, result) are made; when empty, <c>pressluft/jobs</c> in the service
    /// user's local data folder (<c>~/.local/share</c>). Leftovers of a killed runner are removed at the next start.
    /// </summary>
    public string? JobsDirectory { get; set; }

    /// <summary>Where sites live on the nodes: <c>&lt;root&gt;/&lt;site id&gt;/releases/…</c> and <c>current</c>.</summary>
    [Required]
    public string SitesRoot { get; set; } = "/var/www/sites";

    /// <summary>WP-CLI on the nodes.</summary>
    [Required]
    public string WpCliPath { get; set; } = "wp";

    /// <summary>Time limit of one attempt of one check in the health check playbook (wall clock).</summary>
    [Range(1, 300)]
    public int CheckTimeoutSeconds { get; set; } = 10;

    /// <summary>Retries per check before it counts as failed.</summary>
    [Range(0, 5)]
    public int CheckRetries { get; set; } = 1;

    /// <summary>Pause between a check's attempts.</summary>
    [Range(0, 60)]
    public int CheckRetryDelaySeconds { get; set; } = 1;

    /// <summary>Whether to verify TLS certificates in the HTTP check.</summary>
    public bool ValidateCertificates { get; set; } = true;

    /// <summary>Also fail the HTTP check when the body holds a PHP fatal marker.</summary>
    public bool FatalMarkerCheck { get; set; }

    /// <summary>Wait before the first check (lets caches and PHP-FPM warm up).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan WarmUpDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a health check request waits for others of the same node to share its ansible-playbook run. At most
    /// 10 ms, so a single request is not delayed noticeably; zero runs every request on its own.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.010")]
    public TimeSpan CheckBatchWindow { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>At most this many environments of one node share one health check run (its forks).</summary>
    [Range(1, 64)]
    public int MaxEnvironmentsPerRun { get; set; } = 16;

    /// <summary>
    /// Runs of one node that may be starting up at once; further checks of the node gather into the next run meanwhile
    /// (up to <see cref="MaxEnvironmentsPerRun"/>), instead of each paying ansible-playbook's start-up on its own. One:
    /// a run of 16 keeps a small runner's CPU (its forks) and the node (its checks) busy already, and a second run
    /// beside it only makes both slower; a full group still starts at once.
    /// </summary>
    [Range(1, 16)]
    public int MaxRunsPerNode { get; set; } = 1;

    /// <summary>
    /// Health checks one runner takes at once. Above <see cref="MaxEnvironmentsPerRun"/>, so the next run of a node
    /// fills while one runs. Their environment locks share one PostgreSQL session (<see cref="PostgresEnvironmentLocks"/>).
    /// </summary>
    [Range(1, 256)]
    public int ConcurrentHealthChecks { get; set; } = 32;

    /// <summary>Rollbacks one runner runs at once.</summary>
    [Range(1, 64)]
    public int ConcurrentRollbacks { get; set; } = 4;

    /// <summary>Kill health-check.yml after this long; an environment not answered by then is reported timed out.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HealthCheckPlaybookTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Kill release-rollback.yml after this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RollbackPlaybookTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Services the rollback reloads (through a handler) after switching <c>current</c>.</summary>
    public List<string> ReloadServices { get; set; } = [];

    /// <summary>The FastCGI cache folder to purge after a rollback; none when empty.</summary>
    public string? FastCgiCachePath { get; set; }

    public string ResolvePythonPath() => string.IsNullOrWhiteSpace(PythonPath) ? LauncherPython.For(AnsiblePlaybookPath) : PythonPath;

    public string ResolveAnsibleDirectory() =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(AnsibleDirectory) ? Path.Combine(AppContext.BaseDirectory, "ansible") : AnsibleDirectory);
}

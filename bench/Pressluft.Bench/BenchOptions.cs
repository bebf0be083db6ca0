using System.Globalization;

namespace Pressluft.Bench;

/// <summary>What the bench runs against and how big each part is; every size has a flag so a run can be cut short.</summary>
internal sealed class BenchOptions
{
    public required string Postgres { get; init; }
    public required string RabbitMq { get; init; }
    public required string Service { get; init; }
    public required string AnsibleDirectory { get; init; }
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), $"pressluft-bench-{Environment.ProcessId}");
    public int HttpPort { get; init; } = 8600;

    /// <summary>Gates of the throughput figure (stub ansible-playbook, one backlog).</summary>
    public int Gates { get; init; } = 400;

    /// <summary>Events timed for the p99 rows, per stack, after a warm-up.</summary>
    public int Samples { get; init; } = 200;

    /// <summary>
    /// Gates run before the p99 rows' events are timed, so that they time the steady state: a fresh process compiles its
    /// code on first use, and again optimised once in use. The same events are also timed 50 gates in, as information.
    /// </summary>
    public int Warmup { get; init; } = 400;

    /// <summary>Events per second for the p99 rows; 0 publishes each event when the previous gate completed.</summary>
    public double Rate { get; init; }

    /// <summary>Gates timed with the real playbooks: healthy, and failure with rollback.</summary>
    public int PlaybookRuns { get; init; } = 5;

    public int RollbackRuns { get; init; } = 3;

    /// <summary>Sites in the fleet backlog (real playbooks, one runner).</summary>
    public int Fleet { get; init; } = 100;

    public int PgbenchSeconds { get; init; } = 15;

    /// <summary>Keep the work folder (service logs, job folders) after a run that finished, to read what happened.</summary>
    public bool KeepWork { get; init; }

    /// <summary>Which parts run (floor, pgbench, stub, real, embedded); all by default. A row whose inputs were skipped is left out.</summary>
    public IReadOnlySet<string> Phases { get; init; } = new HashSet<string>(AllPhases);

    public static readonly string[] AllPhases = ["floor", "pgbench", "stub", "real", "embedded"];

    public bool Runs(string phase) => Phases.Contains(phase);

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        string Required(string name) => values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");
        int Int(string name, int fallback) => values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
        var defaults = new BenchOptions { Postgres = "", RabbitMq = "", Service = "", AnsibleDirectory = "" };
        return new BenchOptions
        {
            Postgres = Required("postgres"),
            RabbitMq = Required("rabbitmq"),
            Service = Path.GetFullPath(Required("service")),
            AnsibleDirectory = Path.GetFullPath(Required("ansible")),
            WorkDirectory = values.TryGetValue("work", out var work) ? Path.GetFullPath(work) : defaults.WorkDirectory,
            HttpPort = Int("http-port", defaults.HttpPort),
            Gates = Int("gates", defaults.Gates),
            Samples = Int("samples", defaults.Samples),
            Warmup = Int("warmup", defaults.Warmup),
            Rate = values.TryGetValue("rate", out var rate) ? double.Parse(rate, CultureInfo.InvariantCulture) : defaults.Rate,
            PlaybookRuns = Int("playbook-runs", defaults.PlaybookRuns),
            RollbackRuns = Int("rollback-runs", defaults.RollbackRuns),
            Fleet = Int("fleet", defaults.Fleet),
            PgbenchSeconds = Int("pgbench-seconds", defaults.PgbenchSeconds),
            KeepWork = values.TryGetValue("keep-work", out var keep) && bool.Parse(keep),
            Phases = values.TryGetValue("phases", out var phases) ? phases.Split(',').ToHashSet() : defaults.Phases,
        };
    }
}

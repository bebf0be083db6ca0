using System.Diagnostics;
using System.Globalization;

namespace Pressluft.Bench;

/// <summary>
/// CPU time used so far on this machine (from <c>/proc</c>), split by who used it: the service itself, the processes it
/// started and waited for (the playbook launcher and ansible-playbook), PostgreSQL, RabbitMQ, the bench, and the rest.
/// Two snapshots around a phase tell where its CPU went.
/// </summary>
internal sealed record CpuUse(TimeSpan Machine, TimeSpan Service, TimeSpan ServiceChildren, TimeSpan Postgres, TimeSpan RabbitMq, TimeSpan Bench)
{
    private const double TicksPerSecond = 100;

    public TimeSpan Other => Machine - Service - ServiceChildren - Postgres - RabbitMq - Bench;

    public static CpuUse Now(int servicePid)
    {
        var service = Times(servicePid);
        TimeSpan postgres = TimeSpan.Zero, rabbit = TimeSpan.Zero;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) || Command(pid) is not { } command)
            {
                continue;
            }

            // A backend that ended is counted in its postmaster's children, as it was reaped.
            if (command == "postgres")
            {
                var times = Times(pid);
                postgres += times.Own + times.Children;
            }
            else if (command == "beam.smp")
            {
                rabbit += Times(pid).Own;
            }
        }

        return new CpuUse(MachineBusy(), service.Own, service.Children, postgres, rabbit, Process.GetCurrentProcess().TotalProcessorTime);
    }

    public static CpuUse operator -(CpuUse after, CpuUse before) => new(
        after.Machine - before.Machine,
        after.Service - before.Service,
        after.ServiceChildren - before.ServiceChildren,
        after.Postgres - before.Postgres,
        after.RabbitMq - before.RabbitMq,
        after.Bench - before.Bench);

    /// <summary>Milliseconds per <paramref name="count"/>, whole machine first.</summary>
    public string Per(int count)
    {
        string Ms(TimeSpan time) => (time.TotalMilliseconds / count).ToString("0.0", CultureInfo.InvariantCulture);
        return $"{Ms(Machine)} ms = service {Ms(Service)} + its playbook processes {Ms(ServiceChildren)} + PostgreSQL {Ms(Postgres)} + RabbitMQ {Ms(RabbitMq)} + bench {Ms(Bench)} + other {Ms(Other)}";
    }

    // The first line of /proc/stat: time every CPU spent on anything but idling and waiting for I/O.
    private static TimeSpan MachineBusy()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // Not idle, I/O wait or steal (another guest's); guest time is counted in user time already.
        var busy = fields.Sum() - fields[3] - fields[4] - fields[7] - fields[8] - fields[9];

        return TimeSpan.FromSeconds(busy / TicksPerSecond);
    }

    private static string? Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // /proc/<pid>/stat after the parenthesised name: utime, stime, cutime, cstime are the 12th to 15th fields.
    private static (TimeSpan Own, TimeSpan Children) Times(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return (TimeSpan.Zero, TimeSpan.Zero);
        }

        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
        return (TimeSpan.FromSeconds((Field(11) + Field(12)) / TicksPerSecond), TimeSpan.FromSeconds((Field(13) + Field(14)) / TicksPerSecond));
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// Lets health checks of several environments of one node share one ansible-playbook run. The first check for a node
/// opens a group and waits <see cref="AnsibleOptions.CheckBatchWindow"/> (at most 10 ms) for others of the same node
/// (same host, port and user); then the group runs as one play with one inventory host per environment and as many
/// forks. Each check still has its own outcome, reported the moment its host's result arrives, so a slow or hung site
/// holds no other environment's verdict; one that has none by the run's timeout is reported timed out. Each caller
/// answers its own request, so the per-request contract (admission, JobStarted, the answer, the outbox) is unchanged.
/// </summary>
public sealed class HealthCheckBatcher(
    AnsiblePlaybookRunner runner,
    IOptionsMonitor<AnsibleOptions> options,
    TimeProvider clock,
    ILogger<HealthCheckBatcher> logger)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Group> _open = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs the check of <paramref name="host"/>, alone or with others of its node; completes when its host is done,
    /// never earlier (the caller holds the environment's lock until then). Cancelling stops the whole run.
    /// </summary>
    public Task<HostOutcome> CheckAsync(PlaybookHost host, CancellationToken cancellationToken)
    {
        AnsiblePlaybookRunner.Check(host);
        var settings = options.CurrentValue;
        var member = new Member(host, cancellationToken);
        var key = $"{host.Node.Hostname.ToLowerInvariant()}:{host.Node.SshPort}:{host.Node.SshUser}";
        Group? full = null;
        lock (_gate)
        {
            if (!_open.TryGetValue(key, out var group))
            {
                group = new Group(settings);
                _open[key] = group;
                _ = CloseAfterWindowAsync(key, group);
            }

            // One host per job in a run: a second request of a job already in the group (only a hand-made message can be
            // one) is refused here rather than leave both callers waiting on a run that could not start.
            if (group.Members.Exists(m => m.Host.JobId == host.JobId))
            {
                throw new InvalidOperationException($"Job {host.JobId} is already being checked in this run");
            }

            group.Members.Add(member);
            if (group.Members.Count >= settings.MaxEnvironmentsPerRun)
            {
                _open.Remove(key);
                full = group;
            }
        }

        if (full is not null)
        {
            _ = RunAsync(full);
        }

        return member.Outcome.Task;
    }

    private async Task CloseAfterWindowAsync(string key, Group group)
    {
        if (group.Settings.CheckBatchWindow > TimeSpan.Zero)
        {
            await Task.Delay(group.Settings.CheckBatchWindow, clock);
        }

        lock (_gate)
        {
            if (!_open.TryGetValue(key, out var open) || open != group)
            {
                return;
            }

            _open.Remove(key);
        }

        await RunAsync(group);
    }

    private async Task RunAsync(Group group)
    {
        var members = group.Members.ToDictionary(m => m.Host.JobId);
        using var stop = new CancellationTokenSource();
        var registrations = members.Values.Select(m => m.CancellationToken.Register(stop.Cancel)).ToList();
        try
        {
            if (members.Count > 1)
            {
                logger.LogInformation("Checking {Count} environments of node {Node} in one run", members.Count, group.Members[0].Host.Node.Hostname);
            }

            await runner.RunAsync(new PlaybookRun
            {
                Playbook = "health-check.yml",
                Hosts = group.Members.Select(m => m.Host).ToList(),
                SharedVariables = HealthCheckVariables.Shared(group.Settings),
                Timeout = group.Settings.HealthCheckPlaybookTimeout,
                FinalAction = HealthCheckVariables.ChecksModule,
            }, outcome => members[outcome.JobId].Outcome.TrySetResult(outcome), stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Every host has been reported already.
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "A health check run of node {Node} failed to start", group.Members[0].Host.Node.Hostname);
            foreach (var member in members.Values)
            {
                member.Outcome.TrySetException(exception);
            }
        }
        finally
        {
            foreach (var registration in registrations)
            {
                await registration.DisposeAsync();
            }

            // The runner reports every host; should one ever be missed, its caller must not wait forever.
            foreach (var member in members.Values)
            {
                member.Outcome.TrySetException(new InvalidOperationException($"The run reported no outcome for job {member.Host.JobId}"));
            }
        }
    }

    private sealed class Group(AnsibleOptions settings)
    {
        public AnsibleOptions Settings { get; } = settings;
        public List<Member> Members { get; } = [];
    }

    private sealed class Member(PlaybookHost host, CancellationToken cancellationToken)
    {
        public PlaybookHost Host { get; } = host;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public TaskCompletionSource<HostOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// Lets health checks of several environments of one node share one ansible-playbook run. The first check for a node
/// opens a group and waits <see cref="AnsibleOptions.CheckBatchWindow"/> (at most 10 ms) for others of the same node
/// (same host, port and user); then the group runs as one play with one inventory host per environment and as many
/// forks. While <see cref="AnsibleOptions.MaxRunsPerNode"/> runs of the node are already starting up, the open group
/// keeps gathering until one of them is done (or the group is full): under a fleet-wide update that turns many small
/// runs, each paying ansible-playbook's start-up, into a few full ones. A run stops counting against its node after
/// <see cref="BusyRunHold"/>, so sites that are slow or hung delay no later check by more than that. Each check still
/// has its own outcome, reported the moment its host's result arrives, so a slow or hung site holds no other
/// environment's verdict in its run; one that has none by the run's timeout is reported timed out. Each caller answers
/// its own request, so the per-request contract (admission, JobStarted, the answer, the outbox) is unchanged.
/// </summary>
public sealed class HealthCheckBatcher(
    AnsiblePlaybookRunner runner,
    IOptionsMonitor<AnsibleOptions> options,
    TimeProvider clock,
    ILogger<HealthCheckBatcher> logger)
{
    /// <summary>
    /// How long a run counts against its node's <see cref="AnsibleOptions.MaxRunsPerNode"/>: ansible-playbook's start-up
    /// and the checks of healthy sites fit in it; a run still going after it is waiting on slow sites, not working.
    /// </summary>
    public static readonly TimeSpan BusyRunHold = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);

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
        Group? opened = null;
        lock (_gate)
        {
            if (!_nodes.TryGetValue(key, out var node))
            {
                node = new Node(key);
                _nodes[key] = node;
            }

            if (node.Open is not { } group)
            {
                group = new Group(node, settings);
                node.Open = group;
                opened = group;
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
                // Full: it runs now, busy node or not.
                full = Take(group);
            }
        }

        if (full is not null)
        {
            Launch(full);
        }

        // Its window starts once its first member is in: with no window it closes at once, and a group launched before
        // that member was added would run without it and leave its caller waiting for ever.
        if (opened is not null)
        {
            _ = CloseAfterWindowAsync(opened);
        }

        return member.Outcome.Task;
    }

    private async Task CloseAfterWindowAsync(Group group)
    {
        if (group.Settings.CheckBatchWindow > TimeSpan.Zero)
        {
            await Task.Delay(group.Settings.CheckBatchWindow, clock);
        }

        Group? start;
        lock (_gate)
        {
            group.WindowOver = true;
            start = group.Node.Open == group && group.Node.Busy < group.Settings.MaxRunsPerNode ? Take(group) : null;
        }

        // Otherwise it started full already, or it waits for one of the node's runs to be done (FreeSlot).
        if (start is not null)
        {
            Launch(start);
        }
    }

    // Under _gate: the group leaves the node's open slot and its run counts against the node.
    private static Group Take(Group group)
    {
        group.Node.Open = null;
        group.Node.Busy++;
        return group;
    }

    private void Launch(Group group)
    {
        var freed = 0;
        void Free()
        {
            if (Interlocked.Exchange(ref freed, 1) == 0)
            {
                FreeSlot(group.Node);
            }
        }

        var hold = clock.CreateTimer(_ => Free(), null, BusyRunHold, Timeout.InfiniteTimeSpan);
        _ = RunAsync(group).ContinueWith(_ =>
        {
            hold.Dispose();
            Free();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void FreeSlot(Node node)
    {
        Group? start = null;
        lock (_gate)
        {
            node.Busy--;
            if (node.Open is { WindowOver: true } waiting)
            {
                start = Take(waiting);
            }
            else if (node.Busy == 0 && node.Open is null)
            {
                _nodes.Remove(node.Key);
            }
        }

        if (start is not null)
        {
            Launch(start);
        }
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

    // A node's open group and how many of its runs count as busy; guarded by _gate.
    private sealed class Node(string key)
    {
        public string Key { get; } = key;
        public Group? Open { get; set; }
        public int Busy { get; set; }
    }

    private sealed class Group(Node node, AnsibleOptions settings)
    {
        public Node Node { get; } = node;
        public AnsibleOptions Settings { get; } = settings;
        public List<Member> Members { get; } = [];
        public bool WindowOver { get; set; }
    }

    private sealed class Member(PlaybookHost host, CancellationToken cancellationToken)
    {
        public PlaybookHost Host { get; } = host;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public TaskCompletionSource<HostOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

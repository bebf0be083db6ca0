using System.Collections.Concurrent;
using MassTransit;
using Pressluft.Contracts;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>What the stand-in runner answers to a health check request.</summary>
public enum CheckAnswer
{
    Pass,
    Fail,
    Inconclusive,

    /// <summary>The runner refuses the job's values (JOB_REJECTED): nothing runs, nothing is measured.</summary>
    Refused,

    /// <summary>Never answers, so the gate's deadline fires.</summary>
    Silent,
}

/// <summary>What the stand-in runner answers to a rollback request.</summary>
public enum RollbackAnswer
{
    Complete,
    Fail,
    Silent,
}

/// <summary>
/// Stands in for the Ansible runner in harness tests: answers per release, in order, and remembers every request.
/// Releases without a script pass their checks; rollbacks complete.
/// </summary>
public sealed class ScriptedRunner
{
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<CheckAnswer>> _checks = new();
    private readonly ConcurrentQueue<RollbackAnswer> _rollbacks = new();

    public ConcurrentQueue<HealthCheckRequested> CheckRequests { get; } = new();
    public ConcurrentQueue<RollbackRequested> RollbackRequests { get; } = new();

    /// <summary>Every <see cref="JobStarted"/> this runner has announced, before publishing it.</summary>
    public ConcurrentQueue<JobStarted> Starts { get; } = new();

    public void Script(Guid releaseId, params CheckAnswer[] answers) =>
        _checks.GetOrAdd(releaseId, _ => new ConcurrentQueue<CheckAnswer>()).EnqueueRange(answers);

    public void ScriptRollback(params RollbackAnswer[] answers) => _rollbacks.EnqueueRange(answers);

    internal CheckAnswer NextCheck(Guid releaseId) =>
        _checks.TryGetValue(releaseId, out var queue) && queue.TryDequeue(out var answer) ? answer : CheckAnswer.Pass;

    internal RollbackAnswer NextRollback() => _rollbacks.TryDequeue(out var answer) ? answer : RollbackAnswer.Complete;
}

internal static class QueueExtensions
{
    public static void EnqueueRange<T>(this ConcurrentQueue<T> queue, IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            queue.Enqueue(item);
        }
    }
}

public sealed class ScriptedHealthCheckConsumer(ScriptedRunner runner) : IConsumer<HealthCheckRequested>
{
    public async Task Consume(ConsumeContext<HealthCheckRequested> context)
    {
        var request = context.Message;
        runner.CheckRequests.Enqueue(request);
        var answer = runner.NextCheck(request.Release.Id);
        if (answer == CheckAnswer.Silent)
        {
            return;
        }

        var started = new JobStarted
        {
            JobId = request.JobId,
            Attempt = request.Attempt,
            EnvironmentId = request.EnvironmentId,
            JobType = JobTypes.HealthCheck,
            Worker = "scripted",
            StartedAt = DateTimeOffset.UtcNow,
        };
        runner.Starts.Enqueue(started);
        await context.Publish(started);

        if (answer == CheckAnswer.Pass)
        {
            await context.Publish(Answers.Passed(request));
            return;
        }

        if (answer == CheckAnswer.Refused)
        {
            await context.Publish(new HealthCheckFailed
            {
                JobId = request.JobId,
                Attempt = request.Attempt,
                EnvironmentId = request.EnvironmentId,
                Verdict = HealthVerdicts.Inconclusive,
                Error = new JobError { Code = ErrorCodes.JobRejected, Message = "Refused by the runner, nothing ran: node.hostname 'node_1' is not a host name" },
                CompletedAt = DateTimeOffset.UtcNow,
            });
            return;
        }

        var failed = answer == CheckAnswer.Fail;
        await context.Publish(new HealthCheckFailed
        {
            JobId = request.JobId,
            Attempt = request.Attempt,
            EnvironmentId = request.EnvironmentId,
            Verdict = failed ? HealthVerdicts.Failed : HealthVerdicts.Inconclusive,
            Error = new JobError
            {
                Code = failed ? ErrorCodes.HealthCheckFailed : ErrorCodes.HealthCheckInconclusive,
                Message = failed ? "http: HTTP 500" : "host unreachable",
                Details = new JobErrorDetails
                {
                    Checks = failed ? [new CheckResult { Check = CheckNames.Http, Outcome = CheckOutcomes.Failed, Detail = "HTTP 500", Attempts = 2 }] : [],
                    AnsibleCode = failed ? null : ErrorCodes.AnsibleHostUnreachable,
                    ExitCode = failed ? 2 : 4,
                },
            },
            CompletedAt = DateTimeOffset.UtcNow,
        });
    }
}

public sealed class ScriptedRollbackConsumer(ScriptedRunner runner) : IConsumer<RollbackRequested>
{
    public async Task Consume(ConsumeContext<RollbackRequested> context)
    {
        var request = context.Message;
        runner.RollbackRequests.Enqueue(request);
        var answer = runner.NextRollback();
        if (answer == RollbackAnswer.Silent)
        {
            return;
        }

        if (answer == RollbackAnswer.Complete)
        {
            await context.Publish(new RollbackCompleted
            {
                JobId = request.JobId,
                EnvironmentId = request.EnvironmentId,
                FromReleaseId = request.FromRelease.Id,
                ToReleaseId = request.ToRelease.Id,
                CompletedAt = DateTimeOffset.UtcNow,
            });
            return;
        }

        await context.Publish(new RollbackFailed
        {
            JobId = request.JobId,
            EnvironmentId = request.EnvironmentId,
            Error = new JobError
            {
                Code = ErrorCodes.AnsibleHostFailed,
                Message = "target is not a release directory of this site",
                Details = new JobErrorDetails { ExitCode = 2 },
            },
            CompletedAt = DateTimeOffset.UtcNow,
        });
    }
}

/// <summary>Records the events the gate publishes, so tests can assert on them (outbox traffic is invisible to harness.Published).</summary>
public sealed class GateEventProbe : IConsumer<GateCompleted>, IConsumer<ReleaseHealthChanged>, IConsumer<EnvironmentStatusChanged>
{
    public Task Consume(ConsumeContext<GateCompleted> context) => Task.CompletedTask;
    public Task Consume(ConsumeContext<ReleaseHealthChanged> context) => Task.CompletedTask;
    public Task Consume(ConsumeContext<EnvironmentStatusChanged> context) => Task.CompletedTask;
}

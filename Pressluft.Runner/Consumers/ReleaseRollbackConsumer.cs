using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// Runs <c>release-rollback.yml</c> for a <see cref="RollbackRequested"/> and reports the result as a message, holding
/// the environment's lock until the host's outcome is known (its recap: every task and handler of the play is over;
/// ansible-playbook itself may still be exiting). Changes no ledger row; the saga records the answer.
/// </summary>
public sealed class ReleaseRollbackConsumer(
    AnsiblePlaybookRunner runner,
    JobEntrance entrance,
    IOptionsMonitor<AnsibleOptions> options,
    TimeProvider clock,
    ILogger<ReleaseRollbackConsumer> logger) : IConsumer<RollbackRequested>
{
    public async Task Consume(ConsumeContext<RollbackRequested> context)
    {
        var request = context.Message;
        var settings = options.CurrentValue;
        var ticket = new JobTicket(request.JobId, 1, request.EnvironmentId, JobTypes.ReleaseRollback, request.ExpiresAt, JobRules.Check(request, settings));
        await using var environment = await entrance.EnterAsync(ticket, (refusal, reason) => RefuseAsync(context, refusal, reason), context.CancellationToken);
        if (environment is null)
        {
            return;
        }

        // Answered as soon as the host's recap is printed (its plays and handlers are over), not when ansible-playbook has
        // exited too; the run still ends, and is waited for when the runner stops.
        var answered = new TaskCompletionSource<HostOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = runner.RunAsync(new PlaybookRun
        {
            Playbook = "release-rollback.yml",
            Hosts = [new PlaybookHost { JobId = request.JobId, Node = request.Node, Variables = ReleaseRollbackVariables.Host(request) }],
            SharedVariables = ReleaseRollbackVariables.Shared(settings),
            Timeout = settings.RollbackPlaybookTimeout,
        }, host => answered.TrySetResult(host), context.CancellationToken);
        await Task.WhenAny(answered.Task, run);
        HostOutcome outcome;
        if (answered.Task is { IsCompletedSuccessfully: true, Result.Streamed: true })
        {
            outcome = answered.Task.Result;
            _ = run.ContinueWith(ended => logger.LogWarning(ended.Exception!.GetBaseException(), "Rollback {JobId}: the run failed after its recap", request.JobId),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else
        {
            // No recap (killed, stopped, no output): the run's own end is the answer, and a stopped consumer throws here,
            // so the request is left for another runner.
            outcome = (await run).Hosts[0];
        }

        if (outcome is { ExitCode: 0, Status: HostStatus.Ok } && outcome.ResultOf(ReleaseRollbackVariables.SwitchModule)?.Status == "ok")
        {
            await context.Publish(new RollbackCompleted
            {
                JobId = request.JobId,
                EnvironmentId = request.EnvironmentId,
                FromReleaseId = request.FromRelease.Id,
                ToReleaseId = request.ToRelease.Id,
                CompletedAt = clock.GetUtcNow(),
            });
            return;
        }

        var message = outcome.Failure?.Text("msg") is { Length: > 0 } reason
            ? reason
            : $"No rollback result: {outcome.Describe(settings.RollbackPlaybookTimeout)}";
        logger.LogError("Rollback {JobId} of environment {EnvironmentId} to release {ReleaseId} failed: {Message}",
            request.JobId, request.EnvironmentId, request.ToRelease.Id, message);
        await context.Publish(new RollbackFailed
        {
            JobId = request.JobId,
            EnvironmentId = request.EnvironmentId,
            Error = new JobError
            {
                Code = ErrorCodes.RollbackFailed,
                Message = message,
                Details = new JobErrorDetails
                {
                    ExitCode = outcome.ExitCode,
                    AnsibleCode = outcome.ErrorCode,
                    OutputTail = outcome.OutputTail,
                },
            },
            CompletedAt = clock.GetUtcNow(),
        });
    }

    private async Task RefuseAsync(ConsumeContext<RollbackRequested> context, JobRefusal refusal, string why)
    {
        var request = context.Message;
        logger.LogWarning("Rollback {JobId} of environment {EnvironmentId} not run ({Refusal}): {Reason}", request.JobId, request.EnvironmentId, refusal, why);
        if (refusal != JobRefusal.GivenUp)
        {
            await context.Publish(new RollbackFailed
            {
                JobId = request.JobId,
                EnvironmentId = request.EnvironmentId,
                Error = new JobError
                {
                    Code = refusal == JobRefusal.Rejected ? ErrorCodes.JobRejected : ErrorCodes.RollbackFailed,
                    Message = refusal == JobRefusal.Rejected ? $"Refused by the runner, nothing ran: {why}" : $"Not run: {why}",
                },
                CompletedAt = clock.GetUtcNow(),
            });
        }
    }
}

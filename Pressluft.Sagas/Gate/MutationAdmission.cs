using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// Decides whether a <see cref="MutationCompleted"/> opens a gate. It does not when the mutation was gated already
/// (a duplicate), when it contradicts the ledger (recorded as a rejected gate, normally refused at the intake first),
/// or when it completed before the mutation gated last (older); each of these is logged and counted.
/// </summary>
public sealed class MutationAdmission(IReleaseLedger ledger, GuardedConfig config, TimeProvider clock, ILogger<MutationAdmission> logger)
{
    public async Task<bool> AdmitAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context)
    {
        var saga = context.Saga;
        var mutation = context.Message;
        var ct = context.CancellationToken;
        if (await ledger.GateExistsAsync(mutation.MutationJobId, ct))
        {
            logger.LogInformation("Mutation {MutationJobId} of environment {EnvironmentId} was already gated; duplicate ignored",
                mutation.MutationJobId, mutation.EnvironmentId);
            GateMetrics.IgnoredMutations.Add(1, new KeyValuePair<string, object?>("reason", "duplicate"));
            return false;
        }

        var conflicts = await ledger.FindConflictsAsync(mutation, ct);
        if (conflicts.Count > 0)
        {
            await RejectAsync(context, conflicts);
            return false;
        }

        var completedAt = mutation.CompletedAt.UtcDateTime;
        if (saga.MutationJobId != Guid.Empty && completedAt < saga.MutationCompletedAt)
        {
            logger.LogWarning(
                "Mutation {MutationJobId} of environment {EnvironmentId} completed at {CompletedAt:o}, before the last gated mutation {LastMutationJobId}; ignored",
                mutation.MutationJobId, mutation.EnvironmentId, completedAt, saga.MutationJobId);
            GateMetrics.IgnoredMutations.Add(1, new KeyValuePair<string, object?>("reason", "older"));
            return false;
        }

        return true;
    }

    // Two events racing past the intake can both contradict the ledger; the second is recorded as a rejected gate with
    // the reason, inside this transaction, and nothing else changes.
    private async Task RejectAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context, IReadOnlyList<string> conflicts)
    {
        var mutation = context.Message;
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        var reason = string.Join("; ", conflicts);
        var mode = config.Current.ModeFor(mutation.JobType).ToString();
        logger.LogWarning("Mutation {MutationJobId} of environment {EnvironmentId} rejected ({Code}): {Reason}",
            mutation.MutationJobId, mutation.EnvironmentId, ErrorCodes.MutationRejected, reason);
        await ledger.StartGateAsync(new GateStart(mutation.MutationJobId, mutation.JobType, mutation.SiteId, mutation.EnvironmentId, mutation.Release.Id, mode, now.UtcDateTime), ct);
        await ledger.CompleteGateAsync(mutation.MutationJobId, GateOutcomes.Rejected, ErrorCodes.MutationRejected, reason, now.UtcDateTime, ct);
        var environment = await ledger.FindEnvironmentAsync(mutation.EnvironmentId, ct);
        await context.Publish(new GateCompleted
        {
            MutationJobId = mutation.MutationJobId,
            MutationJobType = mutation.JobType,
            EnvironmentId = mutation.EnvironmentId,
            SiteId = mutation.SiteId,
            ReleaseId = mutation.Release.Id,
            Mode = mode,
            Outcome = GateOutcomes.Rejected,
            ErrorCode = ErrorCodes.MutationRejected,
            CurrentReleaseId = environment?.CurrentReleaseId,
            EnvironmentStatus = environment?.Status ?? EnvironmentStatuses.Active,
            CompletedAt = now,
        }, ct);
        GateMetrics.GateCompleted(GateOutcomes.Rejected, mode);
    }
}

using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.StateMachines;
using Pressluft.Sagas.Validation;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// Decides whether a <see cref="MutationCompleted"/> opens a gate. It does not when the mutation was gated already
/// (a duplicate), when it contradicts the ledger (refused with the reason where the context is marked
/// <see cref="RefuseLedgerConflicts"/>, as on the intake; else, for one that reaches the saga's queue another way,
/// recorded as a rejected gate),
/// or when it completed before the mutation gated last (older: recorded as a gate superseded at once, because the
/// newer mutation's gate already judges what is live); each of these is logged and counted. Every mutation that is not
/// a duplicate thus ends in exactly one gate outcome, and its publisher hears of it.
/// </summary>
public sealed class MutationAdmission(IReleaseLedger ledger, GuardedConfig config, TimeProvider clock, ILogger<MutationAdmission> logger)
{
    public async Task<bool> AdmitAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context)
    {
        var saga = context.Saga;
        var mutation = context.Message;
        var ct = context.CancellationToken;
        var check = await ledger.CheckMutationAsync(mutation, ct);
        if (check.AlreadyGated)
        {
            logger.LogInformation("Mutation {MutationJobId} of environment {EnvironmentId} was already gated; duplicate ignored",
                mutation.MutationJobId, mutation.EnvironmentId);
            GateMetrics.IgnoredMutations.Add(1, new KeyValuePair<string, object?>("reason", "duplicate"));
            return false;
        }

        if (check.Conflicts.Count > 0)
        {
            if (context.TryGetPayload<RefuseLedgerConflicts>(out _))
            {
                throw new RejectedMessageException(nameof(MutationCompleted), check.Conflicts);
            }

            await RejectAsync(context, check.Conflicts);
            return false;
        }

        var completedAt = mutation.CompletedAt.UtcDateTime;
        if (saga.MutationJobId != Guid.Empty && completedAt < saga.MutationCompletedAt)
        {
            logger.LogWarning(
                "Mutation {MutationJobId} of environment {EnvironmentId} completed at {CompletedAt:o}, before the last gated mutation {LastMutationJobId}; ignored",
                mutation.MutationJobId, mutation.EnvironmentId, completedAt, saga.MutationJobId);
            GateMetrics.IgnoredMutations.Add(1, new KeyValuePair<string, object?>("reason", "older"));
            // With competing runners an older event can arrive after a newer one opened its gate. Ignored without a
            // record, its gate would never end: whoever waits for it (publish-mutation --wait, an integrator following
            // gate outcomes) would wait forever. Its release is not checked: what is live is the newer mutation's.
            await EndAtOnceAsync(context, GateOutcomes.Superseded, ErrorCodes.GateSuperseded,
                $"completed at {completedAt:o}, before mutation {saga.MutationJobId}, which was gated already");
            return false;
        }

        return true;
    }

    // A mutation that reached the saga's own queue and contradicts the ledger is recorded as a rejected gate with the
    // reason, inside this transaction, and nothing else changes.
    private async Task RejectAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context, IReadOnlyList<string> conflicts)
    {
        var mutation = context.Message;
        var reason = string.Join("; ", conflicts);
        logger.LogWarning("Mutation {MutationJobId} of environment {EnvironmentId} rejected ({Code}): {Reason}",
            mutation.MutationJobId, mutation.EnvironmentId, ErrorCodes.MutationRejected, reason);
        await EndAtOnceAsync(context, GateOutcomes.Rejected, ErrorCodes.MutationRejected, reason);
    }

    // A gate that ends as it opens, inside this transaction: recorded with its outcome and announced; the saga, the
    // environment and its releases stay as they are.
    private async Task EndAtOnceAsync(BehaviorContext<ReleaseLifecycleState, MutationCompleted> context, string outcome, string code, string reason)
    {
        var mutation = context.Message;
        var ct = context.CancellationToken;
        var now = clock.GetUtcNow();
        var mode = config.Current.ModeFor(mutation.JobType).ToString();
        await ledger.StartGateAsync(new GateStart(mutation.MutationJobId, mutation.JobType, mutation.SiteId, mutation.EnvironmentId, mutation.Release.Id, mode, now.UtcDateTime), ct);
        await ledger.CompleteGateAsync(mutation.MutationJobId, outcome, code, reason, now.UtcDateTime, ct);
        var environment = await ledger.FindEnvironmentAsync(mutation.EnvironmentId, ct);
        await context.Publish(new GateCompleted
        {
            MutationJobId = mutation.MutationJobId,
            MutationJobType = mutation.JobType,
            EnvironmentId = mutation.EnvironmentId,
            SiteId = mutation.SiteId,
            ReleaseId = mutation.Release.Id,
            Mode = mode,
            Outcome = outcome,
            ErrorCode = code,
            CurrentReleaseId = environment?.CurrentReleaseId,
            EnvironmentStatus = environment?.Status ?? EnvironmentStatuses.Active,
            CompletedAt = now,
        }, ct);
        GateMetrics.GateCompleted(outcome, mode);
    }
}

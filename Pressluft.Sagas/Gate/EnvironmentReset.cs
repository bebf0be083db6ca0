using MassTransit;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Sagas.Gate;

/// <summary>An operator returns a failed environment to active; who and why are recorded with the status change.</summary>
public sealed class EnvironmentReset(IReleaseLedger ledger, TimeProvider clock, ILogger<EnvironmentReset> logger)
{
    public async Task ResetAsync(BehaviorContext<ReleaseLifecycleState, ResetEnvironment> context)
    {
        var reset = context.Message;
        var reason = string.IsNullOrWhiteSpace(reset.Reason) ? $"reset by {reset.RequestedBy}" : $"reset by {reset.RequestedBy}: {reset.Reason}";
        logger.LogWarning("Environment {EnvironmentId} {Reason}", reset.EnvironmentId, reason);
        await context.PublishIfAny(await ledger.ChangeEnvironmentStatusAsync(reset.EnvironmentId, EnvironmentStatuses.Active, reason,
            clock.GetUtcNow().UtcDateTime, context.CancellationToken));
    }
}

using Pressluft.Contracts;
using Pressluft.Sagas.Ledger;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// Picks the release to roll back to: the release live before the mutation unless it is unhealthy (or is the
/// release being left), else the newest healthy release of the environment, else none.
/// </summary>
public sealed class RollbackTargetSelector(IReleaseLedger ledger)
{
    public async Task<LedgerRelease?> SelectAsync(Guid environmentId, Guid leaving, Guid? prior, CancellationToken cancellationToken)
    {
        if (prior is { } priorId && priorId != leaving)
        {
            var candidate = await ledger.FindReleaseAsync(priorId, cancellationToken);
            if (candidate is not null && candidate.EnvironmentId == environmentId && candidate.HealthStatus != ReleaseHealth.Unhealthy)
            {
                return candidate;
            }
        }

        return await ledger.NewestHealthyReleaseAsync(environmentId, leaving, cancellationToken);
    }
}

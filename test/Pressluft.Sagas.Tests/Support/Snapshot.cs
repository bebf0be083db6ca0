using Microsoft.EntityFrameworkCore;

namespace Pressluft.Sagas.Tests.Support;

/// <summary>Everything a transition could have written, to compare before and after.</summary>
public sealed record Snapshot(
    string? SagaState,
    int SagaVersion,
    string Jobs,
    string Releases,
    string Environments,
    int Transitions,
    int StatusChanges,
    int Gates,
    int OutboxRows,
    int InboxRows)
{
    public static Task<Snapshot> TakeAsync(GateTestHost host) => host.QueryAsync(async db =>
    {
        var saga = await db.ReleaseLifecycleSagas.AsNoTracking().SingleOrDefaultAsync();
        var jobs = await db.Jobs.AsNoTracking().OrderBy(j => j.Id).Select(j => j.Id + ":" + j.Status + ":" + j.ErrorCode).ToListAsync();
        var releases = await db.Releases.AsNoTracking().OrderBy(r => r.Id).Select(r => r.Id + ":" + r.HealthStatus).ToListAsync();
        var environments = await db.Environments.AsNoTracking().Select(e => e.Id + ":" + e.Status + ":" + e.CurrentReleaseId + ":" + e.StateVersion).ToListAsync();
        return new Snapshot(
            saga?.CurrentState,
            saga?.Version ?? 0,
            string.Join(",", jobs),
            string.Join(",", releases),
            string.Join(",", environments),
            await db.ReleaseHealthTransitions.CountAsync(),
            await db.EnvironmentStatusChanges.CountAsync(),
            await db.Gates.CountAsync(),
            await db.OutboxMessages.CountAsync(m => m.InboxMessageId != null),
            await db.InboxStates.CountAsync());
    });
}

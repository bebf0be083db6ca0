using MassTransit;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// The saga's deadlines: messages it sends itself for later (stored with the transition, delivered when due by the
/// outbox's relay), and cancelled once the answer they wait for has come, so an answered job leaves nothing behind.
/// </summary>
public interface IDeadlines
{
    /// <summary>Schedules <paramref name="message"/> to the saga's own queue after <paramref name="delay"/>; returns its id.</summary>
    Task<Guid> ScheduleAsync<T>(ConsumeContext context, T message, TimeSpan delay)
        where T : class;

    /// <summary>Cancels a deadline not yet delivered, in the same transaction as the transition that no longer needs it.</summary>
    Task CancelAsync(Guid deadlineId, CancellationToken cancellationToken);
}

/// <summary>The deadline of the job a gate waits for.</summary>
public static class CurrentDeadline
{
    /// <summary>Cancels the deadline of the saga's current job, if it has one: its answer came, or the job was given up.</summary>
    public static async Task CancelCurrentAsync(this IDeadlines deadlines, ReleaseLifecycleState saga, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadlines);
        ArgumentNullException.ThrowIfNull(saga);
        if (saga.DeadlineId is { } id)
        {
            await deadlines.CancelAsync(id, cancellationToken);
            saga.DeadlineId = null;
        }
    }
}

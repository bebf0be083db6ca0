namespace Pressluft.Messaging.Outbox;

/// <summary>
/// Tells this process's relay (<see cref="DueMessageRelay"/>) when a due-time row it committed falls due, so the relay
/// sleeps until the next due row instead of looking every fraction of a second: rows another runner commits it finds at
/// its next look (<see cref="OutboxOptions.RelayInterval"/> at the latest).
/// </summary>
public sealed class DueMessageSignal
{
    private readonly Lock _lock = new();
    private DateTime _earliest = DateTime.MaxValue;
    private TaskCompletionSource _told = NewSource();

    /// <summary>A due-time row falling due at <paramref name="due"/> (UTC) has been committed.</summary>
    public void Committed(DateTime due)
    {
        TaskCompletionSource? told = null;
        lock (_lock)
        {
            if (due < _earliest)
            {
                _earliest = due;
                told = _told;
                _told = NewSource();
            }
        }

        told?.TrySetResult();
    }

    /// <summary>
    /// The earliest due time told since the relay's last look began (<see cref="DateTime.MaxValue"/>: none), and a task
    /// that completes when an earlier one is told: read together, so none told in between is missed.
    /// </summary>
    internal (DateTime Earliest, Task Told) Peek()
    {
        lock (_lock)
        {
            return (_earliest, _told.Task);
        }
    }

    /// <summary>
    /// Called as a look begins (what is committed before it, the look itself finds): clears the earliest due time told
    /// and returns it, for a look that fails to tell back.
    /// </summary>
    internal DateTime Take()
    {
        lock (_lock)
        {
            var earliest = _earliest;
            _earliest = DateTime.MaxValue;
            return earliest;
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

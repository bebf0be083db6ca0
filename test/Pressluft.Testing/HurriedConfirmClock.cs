using Pressluft.Messaging.Bus;

namespace Pressluft.Testing;

/// <summary>The system's clock, except that a wait for the broker's confirm (<see cref="BrokerConfirm.Wait"/>) runs out after 100 ms.</summary>
public sealed class HurriedConfirmClock : TimeProvider
{
    public static readonly TimeSpan ConfirmWait = TimeSpan.FromMilliseconds(100);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(callback, state, dueTime == BrokerConfirm.Wait ? ConfirmWait : dueTime, period);
}

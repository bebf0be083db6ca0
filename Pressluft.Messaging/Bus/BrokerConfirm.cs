namespace Pressluft.Messaging.Bus;

/// <summary>
/// How long a message sent straight to the broker (not through the outbox) waits for the broker's confirm. MassTransit
/// bounds an outbox delivery this way (its MessageDeliveryTimeout, also 10 s); a direct send has no bound of its own, and
/// a confirm the client never hears of would hold the message being consumed, and whatever its consumer holds, for ever.
/// </summary>
public static class BrokerConfirm
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs <paramref name="send"/> with a token that is also cancelled after <see cref="Wait"/>: true when it completed,
    /// false when the wait ran out first. Cancelling <paramref name="cancellationToken"/> throws, as the send does.
    /// </summary>
    public static async Task<bool> WithinWaitAsync(Func<CancellationToken, Task> send, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(send);
        using var wait = new CancellationTokenSource(Wait, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, wait.Token);
        try
        {
            await send(either.Token);
            return true;
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

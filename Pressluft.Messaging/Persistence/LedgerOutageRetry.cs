using MassTransit;

namespace Pressluft.Messaging.Persistence;

public static class LedgerOutageRetry
{
    /// <summary>
    /// The waits between attempts while the ledger is away: 1, 2 and 5 s, then every 10 s, for about 5 minutes in all.
    /// </summary>
    public static readonly TimeSpan[] Waits =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5),
        .. Enumerable.Repeat(TimeSpan.FromSeconds(10), 29),
    ];

    /// <summary>
    /// Holds a message while the ledger is away (<see cref="StorageFailures.IsOutage"/>: a database restarting, stopped
    /// for maintenance, failing over) and tries it again when it is back, instead of letting the endpoint's own retries
    /// run out in seconds and send it to its error queue: nothing can progress without the ledger, and a message in an
    /// error queue waits for an operator. Configure it first (outermost), and have the endpoint's own retry ignore what
    /// this one handles. The message stays unacknowledged meanwhile: a runner that dies leaves it to another.
    /// </summary>
    public static void UseLedgerOutageRetry(this IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(StorageFailures.IsOutage);
            r.Intervals(Waits);
        });
    }
}

using System.Diagnostics;
using MassTransit;
using MassTransit.RetryPolicies;

namespace Pressluft.Messaging.Persistence;

public static class LedgerOutageRetry
{
    /// <summary>How long a message is held, from its first failure, before it goes the way of any other failure.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Holds a message while the ledger is away (<see cref="StorageFailures.IsOutage"/>: a database restarting, stopped
    /// for maintenance, failing over) and tries it again when it is back, instead of letting the endpoint's own retries
    /// run out in seconds and send it to its error queue: nothing can progress without the ledger, and a message in an
    /// error queue waits for an operator. It waits 1, 2 and 5 s, then every 10 s, and gives up once the
    /// <paramref name="budget"/> (<see cref="Budget"/> unless given) has passed since the first failure: a budget of time,
    /// not of attempts, because an attempt against an unreachable database can itself take its connect or command
    /// timeout, and a message unacknowledged for too long is taken back by RabbitMQ (its consumer timeout).
    /// Configure it first (outermost), and have the endpoint's own retry ignore what this one handles. The message stays
    /// unacknowledged meanwhile: a runner that dies leaves it to another.
    /// </summary>
    public static void UseLedgerOutageRetry(this IReceiveEndpointConfigurator endpoint, TimeSpan? budget = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(StorageFailures.IsOutage);
            r.SetRetryPolicy(filter => new OutagePolicy(filter, budget ?? Budget));
        });
    }

    private static readonly TimeSpan[] FirstWaits = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];
    private static readonly TimeSpan LaterWait = TimeSpan.FromSeconds(10);

    private static TimeSpan WaitBefore(int retry) => retry < FirstWaits.Length ? FirstWaits[retry] : LaterWait;

    private sealed class OutagePolicy(IExceptionFilter filter, TimeSpan budget) : IRetryPolicy
    {
        public TimeSpan Budget => budget;

        public bool IsHandled(Exception exception) => filter.Match(exception);

        public RetryPolicyContext<T> CreatePolicyContext<T>(T context)
            where T : class, PipeContext => new PolicyContext<T>(this, context);

        public void Probe(ProbeContext context)
        {
            context.Set(new { Policy = "LedgerOutage", Budget = budget });
            filter.Probe(context);
        }

        public override string ToString() => $"Ledger outage (1, 2, 5 s, then every 10 s, for {budget})";
    }

    private sealed class PolicyContext<T>(OutagePolicy policy, T context) : BaseRetryPolicyContext<T>(policy, context)
        where T : class, PipeContext
    {
        // The first failure starts the clock; every later attempt is measured from it.
        protected override RetryContext<T> CreateRetryContext(Exception exception, CancellationToken cancellationToken) =>
            new AttemptContext<T>(policy, Context, exception, 0, Stopwatch.GetTimestamp(), cancellationToken);
    }

    private sealed class AttemptContext<T>(OutagePolicy policy, T context, Exception exception, int retryCount, long firstFailure, CancellationToken cancellationToken)
        : BaseRetryContext<T>(context, exception, retryCount, cancellationToken), RetryContext<T>
        where T : class, PipeContext
    {
        public override TimeSpan? Delay => WaitBefore(RetryCount);

        public bool CanRetry(Exception exception, out RetryContext<T> retryContext)
        {
            retryContext = new AttemptContext<T>(policy, Context, exception, RetryCount + 1, firstFailure, CancellationToken);
            return Stopwatch.GetElapsedTime(firstFailure) < policy.Budget && policy.IsHandled(exception);
        }
    }
}

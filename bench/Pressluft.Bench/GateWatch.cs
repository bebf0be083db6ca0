using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Pressluft.Contracts;

namespace Pressluft.Bench;

/// <summary>
/// Times gates from outside the gate: when the bench published an environment's mutation, when the first health check
/// request for it was delivered (a queue of the bench's own, bound like the runner's), and when its gate completed.
/// </summary>
internal sealed class GateWatch
{
    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Starts timing an environment; call right before publishing its mutation.</summary>
    public Entry Track(Guid environmentId) => _entries[environmentId] = new Entry(Now);

    /// <summary>A queue of the bench's own on <paramref name="bus"/> that sees every request and every completed gate.</summary>
    public async Task<HostReceiveEndpointHandle> ConnectAsync(IBus bus)
    {
        var handle = bus.ConnectReceiveEndpoint("pressluft-bench-watch", e =>
        {
            if (e is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.AutoDelete = true;
                rabbit.Durable = false;
            }

            e.Handler<HealthCheckRequested>(c =>
            {
                if (_entries.TryGetValue(c.Message.EnvironmentId, out var entry))
                {
                    entry.Requested.TrySetResult(Now);
                }

                return Task.CompletedTask;
            });
            e.Handler<GateCompleted>(c =>
            {
                if (_entries.TryGetValue(c.Message.EnvironmentId, out var entry))
                {
                    entry.Completed.TrySetResult((Now, c.Message.Outcome));
                }

                return Task.CompletedTask;
            });
        });
        await handle.Ready;
        return handle;
    }

    internal sealed class Entry(TimeSpan published)
    {
        public TimeSpan Published { get; } = published;

        public TaskCompletionSource<TimeSpan> Requested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<(TimeSpan At, string Outcome)> Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<TimeSpan> RequestLatencyAsync(TimeSpan limit) => await Requested.Task.WaitAsync(limit) - Published;

        public async Task<(TimeSpan Duration, string Outcome)> GateAsync(TimeSpan limit)
        {
            var (at, outcome) = await Completed.Task.WaitAsync(limit);
            return (at - Published, outcome);
        }
    }
}

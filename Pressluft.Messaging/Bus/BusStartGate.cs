using MassTransit;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// Holds every message this process's endpoints take until its bus has started: until each of its endpoints has declared
/// and bound its queue. RabbitMQ starts the endpoints side by side, and publishers may fill <c>mutation-intake</c> before
/// the service ever ran (docs/integrators.md). Without the hold, a first start on such a backlog can gate an event before
/// <c>health-check</c> is bound, and the request it publishes goes to an exchange no queue is bound to: dropped by the
/// broker, and the gate waits for the check's deadline. Bindings are durable, so once the bus has started the gate stays
/// open (a reconnect finds them in place).
/// </summary>
public sealed class BusStartGate : IBusObserver
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the bus has started: every receive endpoint is bound and consuming.</summary>
    public Task Started => _started.Task;

    /// <summary>The filter that holds an endpoint's messages until <see cref="Started"/>; put it on every endpoint.</summary>
    public IFilter<ConsumeContext> Filter => new HoldUntilStarted(this);

    // MassTransit calls this only once every endpoint is ready (a start that faults never gets here).
    public Task PostStart(IBus bus, Task<BusReady> busReady)
    {
        if (busReady.IsCompletedSuccessfully)
        {
            _started.TrySetResult();
        }

        return Task.CompletedTask;
    }

    public void PostCreate(IBus bus)
    {
    }

    public void CreateFaulted(Exception exception)
    {
    }

    public Task PreStart(IBus bus) => Task.CompletedTask;

    public Task StartFaulted(IBus bus, Exception exception) => Task.CompletedTask;

    public Task PreStop(IBus bus) => Task.CompletedTask;

    public Task PostStop(IBus bus) => Task.CompletedTask;

    public Task StopFaulted(IBus bus, Exception exception) => Task.CompletedTask;

    private sealed class HoldUntilStarted(BusStartGate gate) : IFilter<ConsumeContext>
    {
        public Task Send(ConsumeContext context, IPipe<ConsumeContext> next) =>
            gate.Started.IsCompleted ? next.Send(context) : SendWhenStartedAsync(context, next);

        public void Probe(ProbeContext context) => context.CreateFilterScope("holdUntilBusStarted");

        private async Task SendWhenStartedAsync(ConsumeContext context, IPipe<ConsumeContext> next)
        {
            await gate.Started.WaitAsync(context.CancellationToken);
            await next.Send(context);
        }
    }
}

using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Messages;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Messaging.Outbox;

/// <summary>
/// On the embedded default (in-memory bus) a message already handed from the outbox to an in-memory queue, but not yet
/// consumed, dies with the process: a gate would then wait for an answer to a request nobody has, until its deadline
/// ends it wrongly. At start, before anything else can be running in this single process, every gate waiting for a job's
/// answer (a request out, its deadline set) is told to send that request again (<see cref="JobResumeDue"/>). A request
/// that did survive is then answered once: the saga takes the first answer, and a runner does not run a job the ledger
/// shows answered. On RabbitMQ the queues are durable and this is not registered.
/// </summary>
public sealed class GateResumption(IServiceScopeFactory scopes, IBus bus, ILogger<GateResumption> logger) : IHostedLifecycleService
{
    private static readonly string[] Waiting = ["HealthChecking", "RollingBack", "VerifyingRollback"];

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every hosted service started, the bus included.</summary>
    public async Task StartedAsync(CancellationToken cancellationToken) => await ResumeAsync(cancellationToken);

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Tells every gate waiting for an answer to send its request again; returns how many.</summary>
    public async Task<int> ResumeAsync(CancellationToken cancellationToken)
    {
        List<JobResumeDue> waiting;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
            waiting = await db.Set<ReleaseLifecycleState>().AsNoTracking()
                .Where(s => Waiting.Contains(s.CurrentState) && s.CurrentJobId != null && s.DeadlineId != null)
                .Select(s => new JobResumeDue { EnvironmentId = s.CorrelationId, JobId = s.CurrentJobId!.Value, Attempt = s.Attempt })
                .ToListAsync(cancellationToken);
        }

        if (waiting.Count == 0)
        {
            return 0;
        }

        var saga = await bus.GetSendEndpoint(ReleaseLifecycleSagaDefinition.SagaQueue);
        foreach (var resume in waiting)
        {
            await saga.Send(resume, cancellationToken);
        }

        logger.LogWarning("Started after a stop with {Count} gates waiting for a job's answer: their requests are sent again", waiting.Count);
        return waiting.Count;
    }
}

using MassTransit;
using Pressluft.Contracts;

namespace Pressluft.Bench;

/// <summary>Answers every health check at once, as a runner would after a passing playbook (no Ansible in the benchmark).</summary>
public sealed class InstantRunner : IConsumer<HealthCheckRequested>
{
    public async Task Consume(ConsumeContext<HealthCheckRequested> context)
    {
        var request = context.Message;
        await context.Publish(new JobStarted
        {
            JobId = request.JobId,
            Attempt = request.Attempt,
            EnvironmentId = request.EnvironmentId,
            JobType = JobTypes.HealthCheck,
            Worker = "bench",
            StartedAt = DateTimeOffset.UtcNow,
        });
        await context.Publish(new HealthCheckPassed
        {
            JobId = request.JobId,
            Attempt = request.Attempt,
            EnvironmentId = request.EnvironmentId,
            CompletedAt = DateTimeOffset.UtcNow,
        });
    }
}

/// <summary>Counts finished gates so the benchmark knows when it is done.</summary>
public sealed class GateCounter : IConsumer<GateCompleted>
{
    private static int _completed;

    public static int Completed => Volatile.Read(ref _completed);

    public Task Consume(ConsumeContext<GateCompleted> context)
    {
        Interlocked.Increment(ref _completed);
        return Task.CompletedTask;
    }
}

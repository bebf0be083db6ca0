using System.Diagnostics;
using MassTransit;
using Pressluft.Contracts;

namespace Pressluft.Runner.Telemetry;

/// <summary>
/// One span per playbook run (<c>playbook health-check.yml</c>, <c>playbook release-rollback.yml</c>) around the
/// runner's handling of the request, as a child of MassTransit's consume span, so a gate's trace shows each playbook
/// under the event that caused it and before the verdict it produced. Also times the run for
/// <c>pressluft.playbook.duration</c>.
/// </summary>
public sealed class PlaybookRunSpanFilter : IFilter<ConsumeContext>
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        var run = Describe(context);
        if (run is null)
        {
            await next.Send(context);
            return;
        }

        var (playbook, jobId, environmentId, attempt) = run.Value;
        // MassTransit names its consume span after the current operation ("health-check receive" -> "health-check
        // process"), so ours keeps the receive span's operation name and says what it is in its display name.
        using var activity = PressluftTelemetry.Source.StartActivity(Activity.Current?.OperationName ?? playbook, ActivityKind.Internal);
        if (activity is not null)
        {
            activity.DisplayName = $"playbook {playbook}";
        }

        activity?.SetTag("pressluft.playbook", playbook);
        activity?.SetTag("pressluft.job_id", jobId.ToString());
        activity?.SetTag("pressluft.environment_id", environmentId.ToString());
        activity?.SetTag("pressluft.attempt", attempt);
        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            await next.Send(context);
        }
        catch (Exception exception)
        {
            outcome = "error";
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            throw;
        }
        finally
        {
            PressluftTelemetry.PlaybookDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("playbook", playbook), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    private static (string Playbook, Guid JobId, Guid EnvironmentId, int Attempt)? Describe(ConsumeContext context)
    {
        if (context.TryGetMessage<HealthCheckRequested>(out var check))
        {
            return ("health-check.yml", check.Message.JobId, check.Message.EnvironmentId, check.Message.Attempt);
        }

        if (context.TryGetMessage<RollbackRequested>(out var rollback))
        {
            return ("release-rollback.yml", rollback.Message.JobId, rollback.Message.EnvironmentId, 1);
        }

        return null;
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("playbookRunSpan");
}

using MassTransit;
using Pressluft.Contracts;

namespace Pressluft.Runner.Telemetry;

/// <summary>
/// Counts the runners' answers as the saga takes them in (once per answer, after it was handled): health verdicts,
/// each check's duration by check and outcome, and rollbacks by outcome.
/// </summary>
public sealed class VerdictObserver : IConsumeObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        switch (context.Message)
        {
            case HealthCheckPassed passed:
                Verdict("passed", passed.Checks);
                break;
            case HealthCheckFailed failed:
                Verdict(failed.Verdict, failed.Error.Details.Checks);
                break;
            case RollbackCompleted:
                PressluftTelemetry.Rollbacks.Add(1, new KeyValuePair<string, object?>("outcome", "completed"));
                break;
            case RollbackFailed:
                PressluftTelemetry.Rollbacks.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
                break;
        }

        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    private static void Verdict(string verdict, IEnumerable<CheckResult> checks)
    {
        PressluftTelemetry.HealthVerdicts.Add(1, new KeyValuePair<string, object?>("verdict", verdict));
        foreach (var check in checks)
        {
            PressluftTelemetry.CheckDuration.Record(check.DurationMs / 1000.0,
                new KeyValuePair<string, object?>("check", check.Check), new KeyValuePair<string, object?>("outcome", check.Outcome));
        }
    }
}

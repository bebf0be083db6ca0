using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// Runs <c>health-check.yml</c> for a <see cref="HealthCheckRequested"/> and reports the verdict as a message: every
/// check passed, a check was measured bad (<c>failed</c>), or a check could not be measured (<c>inconclusive</c>: a
/// time limit, no connection, a crash; never a reason to roll back on its own). Holds the environment's lock while the
/// playbook runs; checks of several environments of one node may share a run (<see cref="HealthCheckBatcher"/>), each
/// answered on its own. Changes no ledger row; the saga records the answer.
/// </summary>
public sealed class HealthCheckConsumer(
    HealthCheckBatcher checks,
    JobEntrance entrance,
    IOptionsMonitor<AnsibleOptions> options,
    TimeProvider clock,
    ILogger<HealthCheckConsumer> logger) : IConsumer<HealthCheckRequested>
{
    private static readonly JsonSerializerOptions ResultJson = new(JsonSerializerDefaults.Web);

    public async Task Consume(ConsumeContext<HealthCheckRequested> context)
    {
        var request = context.Message;
        var settings = options.CurrentValue;
        var ticket = new JobTicket(request.JobId, request.Attempt, request.EnvironmentId, JobTypes.HealthCheck, request.ExpiresAt, JobRules.Check(request, settings));
        await using var environment = await entrance.EnterAsync(ticket, (refusal, reason) => RefuseAsync(context, refusal, reason), context.CancellationToken);
        if (environment is null)
        {
            return;
        }

        if (settings.WarmUpDelay > TimeSpan.Zero)
        {
            await Task.Delay(settings.WarmUpDelay, clock, context.CancellationToken);
        }

        var outcome = await checks.CheckAsync(
            new PlaybookHost { JobId = request.JobId, Node = request.Node, Variables = HealthCheckVariables.Host(request) }, context.CancellationToken);
        if (outcome is { ExitCode: null, TimedOut: false })
        {
            // Stopped with the runner: nothing was measured, and the request goes back to the queue.
            context.CancellationToken.ThrowIfCancellationRequested();
        }

        var results = ReadChecks(outcome);
        // Healthy only when every required check is there and passed: a result that left one out measured nothing of it.
        var missing = CheckNames.Required.Where(name => results?.Any(c => c.Check == name) != true).ToList();
        if (results is { Count: > 0 } && missing.Count == 0 && results.All(c => c.Outcome is CheckOutcomes.Passed or CheckOutcomes.Skipped))
        {
            await context.Publish(new HealthCheckPassed
            {
                JobId = request.JobId,
                Attempt = request.Attempt,
                EnvironmentId = request.EnvironmentId,
                Checks = results,
                CompletedAt = clock.GetUtcNow(),
            });
            return;
        }

        var failed = results?.Any(c => c.Outcome == CheckOutcomes.Failed) == true;
        var error = failed ? Failed(results!, outcome)
            : results is { Count: > 0 } ? Inconclusive("Checks could not be measured: " + Unmeasured(results, missing), results, outcome)
            : Inconclusive($"No check result: {outcome.Describe(settings.HealthCheckPlaybookTimeout)}", [], outcome);
        var verdict = failed ? HealthVerdicts.Failed : HealthVerdicts.Inconclusive;
        logger.LogWarning("Health check {JobId} of environment {EnvironmentId}, release {ReleaseId}: {Verdict}: {Message}",
            request.JobId, request.EnvironmentId, request.Release.Id, verdict, error.Message);
        await PublishFailedAsync(context, verdict, error);
    }

    private async Task RefuseAsync(ConsumeContext<HealthCheckRequested> context, JobRefusal refusal, string reason)
    {
        var request = context.Message;
        logger.LogWarning("Health check {JobId} attempt {Attempt} of environment {EnvironmentId} not run ({Refusal}): {Reason}",
            request.JobId, request.Attempt, request.EnvironmentId, refusal, reason);
        switch (refusal)
        {
            case JobRefusal.Rejected:
                await PublishFailedAsync(context, HealthVerdicts.Inconclusive,
                    new JobError { Code = ErrorCodes.JobRejected, Message = $"Refused by the runner, nothing ran: {reason}" });
                break;
            case JobRefusal.Expired:
                await PublishFailedAsync(context, HealthVerdicts.Inconclusive,
                    new JobError { Code = ErrorCodes.HealthCheckInconclusive, Message = $"Not run: {reason}", Retryable = true });
                break;
        }
    }

    private Task PublishFailedAsync(ConsumeContext<HealthCheckRequested> context, string verdict, JobError error) =>
        context.Publish(new HealthCheckFailed
        {
            JobId = context.Message.JobId,
            Attempt = context.Message.Attempt,
            EnvironmentId = context.Message.EnvironmentId,
            Verdict = verdict,
            Error = error,
            CompletedAt = clock.GetUtcNow(),
        });

    private static JobError Failed(IReadOnlyList<CheckResult> checks, HostOutcome outcome) => new()
    {
        Code = ErrorCodes.HealthCheckFailed,
        Message = "Required checks failed: " + Describe(checks, c => c.Outcome == CheckOutcomes.Failed),
        Details = Details(checks, outcome),
    };

    private static JobError Inconclusive(string message, IReadOnlyList<CheckResult> checks, HostOutcome outcome) => new()
    {
        Code = ErrorCodes.HealthCheckInconclusive,
        Message = message,
        Retryable = true,
        Details = Details(checks, outcome),
    };

    private static string Describe(IEnumerable<CheckResult> checks, Func<CheckResult, bool> which) =>
        string.Join("; ", checks.Where(which).Select(c => $"{c.Check} ({c.Detail})"));

    private static string Unmeasured(IEnumerable<CheckResult> checks, IEnumerable<string> missing) =>
        string.Join("; ", new[] { Describe(checks, c => c.Outcome != CheckOutcomes.Passed) }
            .Concat(missing.Select(name => $"{name} (no result)")).Where(part => part.Length > 0));

    private static JobErrorDetails Details(IReadOnlyList<CheckResult> checks, HostOutcome outcome) => new()
    {
        Checks = checks,
        ExitCode = outcome.ExitCode,
        AnsibleCode = outcome.ErrorCode,
        OutputTail = outcome.OutputTail,
    };

    // The module's own return value, as the callback printed it: node output in a detail is text, cleaned like any node text.
    private static List<CheckResult>? ReadChecks(HostOutcome outcome)
    {
        if (outcome.ResultOf(HealthCheckVariables.ChecksModule)?.Result is not { ValueKind: JsonValueKind.Object } result
            || !result.TryGetProperty("checks", out var checks) || checks.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        try
        {
            return checks.Deserialize<List<CheckResult>>(ResultJson)?.Select(c => c with { Detail = NodeText.Clean(c.Detail) }).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

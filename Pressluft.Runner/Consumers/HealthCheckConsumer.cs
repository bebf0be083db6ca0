using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// Runs <c>health-check.yml</c> for a <see cref="HealthCheckRequested"/> and reports the verdict as a message:
/// every check passed, a check was measured bad (<c>failed</c>), or nothing could be measured (<c>inconclusive</c>).
/// Changes no ledger row; the saga records the answer.
/// </summary>
public sealed class HealthCheckConsumer(
    AnsiblePlaybookRunner runner,
    JobAdmission admission,
    IBus bus,
    IOptionsMonitor<AnsibleOptions> options,
    TimeProvider clock,
    ILogger<HealthCheckConsumer> logger) : IConsumer<HealthCheckRequested>
{
    private static readonly JsonSerializerOptions ResultJson = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    public async Task Consume(ConsumeContext<HealthCheckRequested> context)
    {
        var request = context.Message;
        var settings = options.CurrentValue;
        var (refusal, reason) = await admission.CheckAsync(request.JobId, request.Attempt, request.ExpiresAt, JobRules.Check(request, settings), context.CancellationToken);
        if (refusal != JobRefusal.None)
        {
            await RefuseAsync(context, refusal, reason);
            return;
        }

        // Straight to the bus, not the outbox: "running" is only worth telling while the playbook runs.
        await bus.Publish(new JobStarted
        {
            JobId = request.JobId,
            Attempt = request.Attempt,
            EnvironmentId = request.EnvironmentId,
            JobType = JobTypes.HealthCheck,
            Worker = JobVariables.Worker,
            StartedAt = clock.GetUtcNow(),
        });

        if (settings.WarmUpDelay > TimeSpan.Zero)
        {
            await Task.Delay(settings.WarmUpDelay, clock, context.CancellationToken);
        }

        var outcome = await runner.RunAsync(new PlaybookRequest
        {
            JobId = request.JobId,
            Playbook = "health-check.yml",
            Node = request.Node,
            ExtraVars = Variables(request, settings),
            ResultVariable = "health_check_result_path",
            Timeout = settings.HealthCheckPlaybookTimeout,
        }, context.CancellationToken);

        var checks = ReadChecks(outcome.ResultJson);
        if (checks is { Count: > 0 } && checks.All(c => c.Outcome != CheckOutcomes.Failed))
        {
            await context.Publish(new HealthCheckPassed
            {
                JobId = request.JobId,
                Attempt = request.Attempt,
                EnvironmentId = request.EnvironmentId,
                Checks = checks,
                CompletedAt = clock.GetUtcNow(),
            });
            return;
        }

        var measured = checks is { Count: > 0 };
        var error = measured ? Failed(checks!, outcome) : Inconclusive($"No check result: {outcome.Describe(settings.HealthCheckPlaybookTimeout)}", outcome);
        logger.LogWarning("Health check {JobId} of environment {EnvironmentId}, release {ReleaseId}: {Verdict}: {Message}",
            request.JobId, request.EnvironmentId, request.Release.Id, measured ? HealthVerdicts.Failed : HealthVerdicts.Inconclusive, error.Message);
        await PublishFailedAsync(context, measured ? HealthVerdicts.Failed : HealthVerdicts.Inconclusive, error);
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
                await PublishFailedAsync(context, HealthVerdicts.Inconclusive, Inconclusive($"Not run: {reason}", null));
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

    private static JobError Failed(IReadOnlyList<CheckResult> checks, PlaybookOutcome outcome) => new()
    {
        Code = ErrorCodes.HealthCheckFailed,
        Message = "Required checks failed: " + string.Join("; ", checks.Where(c => c.Outcome == CheckOutcomes.Failed).Select(c => $"{c.Check} ({c.Detail})")),
        Details = Details(checks, outcome),
    };

    private static JobError Inconclusive(string message, PlaybookOutcome? outcome) => new()
    {
        Code = ErrorCodes.HealthCheckInconclusive,
        Message = message,
        Retryable = true,
        Details = outcome is null ? new JobErrorDetails() : Details([], outcome),
    };

    private static JobErrorDetails Details(IReadOnlyList<CheckResult> checks, PlaybookOutcome outcome) => new()
    {
        Checks = checks,
        ExitCode = outcome.ExitCode,
        AnsibleCode = outcome.ErrorCode,
        OutputTail = outcome.OutputTail,
    };

    private static Dictionary<string, object?> Variables(HealthCheckRequested request, AnsibleOptions settings)
    {
        var variables = JobVariables.Common(request.JobId, request.SiteId, request.SiteSlug, request.EnvironmentId, request.EnvironmentSlug,
            request.EnvironmentType, request.Node);
        variables["release_path"] = request.Release.Path;
        variables["health_check_url"] = request.EnvironmentUrl;
        variables["wp_cli_path"] = settings.WpCliPath;
        variables["health_check_timeout"] = settings.CheckTimeoutSeconds;
        variables["health_check_retries"] = settings.CheckRetries;
        variables["health_check_retry_delay"] = settings.CheckRetryDelaySeconds;
        variables["health_check_validate_certs"] = settings.ValidateCertificates;
        variables["health_check_fatal_markers_enabled"] = settings.FatalMarkerCheck;
        return variables;
    }

    private static List<CheckResult>? ReadChecks(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<HealthCheckResultFile>(json, ResultJson)?.Checks;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record HealthCheckResultFile(List<CheckResult> Checks);
}

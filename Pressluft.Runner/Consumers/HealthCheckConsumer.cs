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

        var problems = JobRules.Check(request, settings);
        if (problems.Count > 0)
        {
            var reason = string.Join("; ", problems);
            logger.LogWarning("Health check {JobId} of environment {EnvironmentId} refused ({Code}): {Reason}",
                request.JobId, request.EnvironmentId, ErrorCodes.JobRejected, reason);
            await context.Publish(new HealthCheckFailed
            {
                JobId = request.JobId,
                Attempt = request.Attempt,
                EnvironmentId = request.EnvironmentId,
                Verdict = HealthVerdicts.Inconclusive,
                Error = new JobError { Code = ErrorCodes.JobRejected, Message = $"Refused by the runner, nothing ran: {reason}", Retryable = false },
                CompletedAt = clock.GetUtcNow(),
            });
            return;
        }

        if (settings.WarmUpDelay > TimeSpan.Zero)
        {
            await Task.Delay(settings.WarmUpDelay, clock, context.CancellationToken);
        }

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

        var outcome = await runner.RunAsync(new PlaybookRequest
        {
            JobId = request.JobId,
            Playbook = "health-check.yml",
            Node = request.Node,
            ExtraVars = variables,
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
        var failedChecks = measured ? checks!.Where(c => c.Outcome == CheckOutcomes.Failed).ToList() : [];
        var error = new JobError
        {
            Code = measured ? ErrorCodes.HealthCheckFailed : ErrorCodes.HealthCheckInconclusive,
            Message = measured
                ? "Required checks failed: " + string.Join("; ", failedChecks.Select(c => $"{c.Check} ({c.Detail})"))
                : $"No check result: {outcome.Describe(settings.HealthCheckPlaybookTimeout)}",
            Retryable = !measured,
            Details = new JobErrorDetails
            {
                Checks = checks ?? [],
                ExitCode = outcome.ExitCode,
                AnsibleCode = outcome.ErrorCode,
                OutputTail = outcome.OutputTail,
            },
        };
        logger.LogWarning("Health check {JobId} of environment {EnvironmentId}, release {ReleaseId}: {Verdict}: {Message}",
            request.JobId, request.EnvironmentId, request.Release.Id, measured ? HealthVerdicts.Failed : HealthVerdicts.Inconclusive, error.Message);
        await context.Publish(new HealthCheckFailed
        {
            JobId = request.JobId,
            Attempt = request.Attempt,
            EnvironmentId = request.EnvironmentId,
            Verdict = measured ? HealthVerdicts.Failed : HealthVerdicts.Inconclusive,
            Error = error,
            CompletedAt = clock.GetUtcNow(),
        });
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

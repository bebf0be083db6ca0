using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>
/// Runs <c>release-rollback.yml</c> for a <see cref="RollbackRequested"/> and reports the result as a message.
/// Changes no ledger row; the saga records the answer.
/// </summary>
public sealed class ReleaseRollbackConsumer(
    AnsiblePlaybookRunner runner,
    JobAdmission admission,
    IBus bus,
    IOptionsMonitor<AnsibleOptions> options,
    TimeProvider clock,
    ILogger<ReleaseRollbackConsumer> logger) : IConsumer<RollbackRequested>
{
    public async Task Consume(ConsumeContext<RollbackRequested> context)
    {
        var request = context.Message;
        var settings = options.CurrentValue;

        var (refusal, why) = await admission.CheckAsync(request.JobId, 1, request.ExpiresAt, JobRules.Check(request, settings), context.CancellationToken);
        if (refusal != JobRefusal.None)
        {
            logger.LogWarning("Rollback {JobId} of environment {EnvironmentId} not run ({Refusal}): {Reason}", request.JobId, request.EnvironmentId, refusal, why);
            if (refusal != JobRefusal.GivenUp)
            {
                await context.Publish(new RollbackFailed
                {
                    JobId = request.JobId,
                    EnvironmentId = request.EnvironmentId,
                    Error = new JobError
                    {
                        Code = refusal == JobRefusal.Rejected ? ErrorCodes.JobRejected : ErrorCodes.RollbackFailed,
                        Message = refusal == JobRefusal.Rejected ? $"Refused by the runner, nothing ran: {why}" : $"Not run: {why}",
                    },
                    CompletedAt = clock.GetUtcNow(),
                });
            }

            return;
        }

        // Straight to the bus, not the outbox: "running" is only worth telling while the playbook runs.
        await bus.Publish(new JobStarted
        {
            JobId = request.JobId,
            EnvironmentId = request.EnvironmentId,
            JobType = JobTypes.ReleaseRollback,
            Worker = JobVariables.Worker,
            StartedAt = clock.GetUtcNow(),
        });

        var variables = JobVariables.Common(request.JobId, request.SiteId, request.SiteSlug, request.EnvironmentId, request.EnvironmentSlug,
            request.EnvironmentType, request.Node);
        variables["sites_root"] = settings.SitesRoot.TrimEnd('/');
        variables["release_path"] = request.ToRelease.Path;
        variables["rollback_from_path"] = request.FromRelease.Path;
        // Codes and ids only: the reason sentence may quote a node's output, so it never reaches a playbook.
        variables["rollback_reason_code"] = request.ReasonCode;
        variables["rollback_job_id"] = request.JobId.ToString();
        variables["rollback_mutation_job_id"] = request.MutationJobId?.ToString() ?? "";
        variables["rollback_reload_services"] = settings.ReloadServices;
        variables["rollback_fastcgi_cache_path"] = settings.FastCgiCachePath ?? "";

        var outcome = await runner.RunAsync(new PlaybookRequest
        {
            JobId = request.JobId,
            Playbook = "release-rollback.yml",
            Node = request.Node,
            ExtraVars = variables,
            ResultVariable = "rollback_result_path",
            Timeout = settings.RollbackPlaybookTimeout,
        }, context.CancellationToken);

        var (status, reason) = ReadResult(outcome.ResultJson);
        if (outcome.ExitCode == 0 && status == "completed")
        {
            await context.Publish(new RollbackCompleted
            {
                JobId = request.JobId,
                EnvironmentId = request.EnvironmentId,
                FromReleaseId = request.FromRelease.Id,
                ToReleaseId = request.ToRelease.Id,
                CompletedAt = clock.GetUtcNow(),
            });
            return;
        }

        var message = reason ?? $"No rollback result: {outcome.Describe(settings.RollbackPlaybookTimeout)}";
        logger.LogError("Rollback {JobId} of environment {EnvironmentId} to release {ReleaseId} failed: {Message}",
            request.JobId, request.EnvironmentId, request.ToRelease.Id, message);
        await context.Publish(new RollbackFailed
        {
            JobId = request.JobId,
            EnvironmentId = request.EnvironmentId,
            Error = new JobError
            {
                Code = ErrorCodes.RollbackFailed,
                Message = message,
                Details = new JobErrorDetails
                {
                    ExitCode = outcome.ExitCode,
                    AnsibleCode = outcome.ErrorCode,
                    OutputTail = outcome.OutputTail,
                },
            },
            CompletedAt = clock.GetUtcNow(),
        });
    }

    private static (string? Status, string? Reason) ReadResult(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return (root.TryGetProperty("status", out var status) ? status.GetString() : null,
                root.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}

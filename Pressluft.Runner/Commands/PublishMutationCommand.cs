using System.ComponentModel;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Runner.Http;
using Pressluft.Runner.Reporting;
using Pressluft.Sagas.Validation;
using Spectre.Console;
using Spectre.Console.Cli;
using ValidationResult = Spectre.Console.ValidationResult;

namespace Pressluft.Runner.Commands;

/// <summary>
/// Publishes a <see cref="MutationCompleted"/> as a deployer would (for operators and scripts): from options or from a
/// JSON file. It is validated here first with the service's own rules; a bad one is not sent.
/// </summary>
public sealed class PublishMutationCommand(IAnsiConsole console) : AsyncCommand<PublishMutationCommand.Settings>
{
    public sealed class Settings : PressluftSettings
    {
        [CommandOption("--file <PATH>")]
        [Description("A MutationCompleted JSON document (docs/contracts); the event options are then ignored.")]
        public string? File { get; init; }

        [CommandOption("--job-type <TYPE>")]
        [Description("env_deploy, env_restore or env_promote.")]
        [DefaultValue(JobTypes.EnvDeploy)]
        public string JobType { get; init; } = JobTypes.EnvDeploy;

        [CommandOption("--job-id <ID>")]
        [TypeConverter(typeof(UuidConverter))]
        [Description("The mutation job's id (default: a new one).")]
        public Guid? JobId { get; init; }

        [CommandOption("--site <ID>")]
        [Description("The site's id.")]
        [TypeConverter(typeof(UuidConverter))]
        public Guid? SiteId { get; init; }

        [CommandOption("--environment <ID>")]
        [Description("The mutated environment's id (the gate is keyed by it).")]
        [TypeConverter(typeof(UuidConverter))]
        public Guid? EnvironmentId { get; init; }

        [CommandOption("--environment-type <TYPE>")]
        [Description("production, staging or clone.")]
        [DefaultValue("production")]
        public string EnvironmentType { get; init; } = "production";

        [CommandOption("--release-id <ID>")]
        [Description("The release that is live now.")]
        [TypeConverter(typeof(UuidConverter))]
        public Guid? ReleaseId { get; init; }

        [CommandOption("--release-path <PATH>")]
        [Description("Its folder: <sites root>/<site id>/releases/<name>.")]
        public string? ReleasePath { get; init; }

        [CommandOption("--previous-id <ID>")]
        [Description("The release that was live before (with --previous-path).")]
        [TypeConverter(typeof(UuidConverter))]
        public Guid? PreviousId { get; init; }

        [CommandOption("--previous-path <PATH>")]
        [Description("Its folder (with --previous-id).")]
        public string? PreviousPath { get; init; }

        [CommandOption("--url <URL>")]
        [Description("The URL the HTTP check requests.")]
        public string? Url { get; init; }

        [CommandOption("--node-host <HOST>")]
        [Description("The node's host name or address.")]
        public string? NodeHost { get; init; }

        [CommandOption("--node-user <USER>")]
        [Description("The SSH user on the node.")]
        public string? NodeUser { get; init; }

        [CommandOption("--node-port <PORT>")]
        [Description("The node's SSH port.")]
        [DefaultValue(22)]
        public int NodePort { get; init; } = 22;

        [CommandOption("--wait")]
        [Description("Follow the gate step by step; exit 1 unless the environment ends active (implied when no service runs).")]
        public bool Wait { get; init; }

        [CommandOption("--timeout <SECONDS>")]
        [Description("How long --wait follows the gate.")]
        [DefaultValue(600)]
        public int TimeoutSeconds { get; init; } = 600;

        [CommandOption("--json")]
        [Description("Print one JSON document (with --wait: the outcome and the steps).")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (File is not null)
            {
                return System.IO.File.Exists(File) ? ValidationResult.Success() : ValidationResult.Error($"--file {File} does not exist");
            }

            var missing = new[]
            {
                (SiteId is null, "--site"), (EnvironmentId is null, "--environment"), (ReleaseId is null, "--release-id"),
                (ReleasePath is null, "--release-path"), (Url is null, "--url"), (NodeHost is null, "--node-host"), (NodeUser is null, "--node-user"),
            }.Where(m => m.Item1).Select(m => m.Item2).ToList();
            if ((PreviousId is null) != (PreviousPath is null))
            {
                missing.Add("--previous-id and --previous-path together");
            }

            return missing.Count > 0 ? ValidationResult.Error($"missing {string.Join(", ", missing)} (or give --file)") : ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        MutationCompleted mutation;
        try
        {
            mutation = settings.File is { } file ? Read(file) : FromOptions(settings);
        }
        catch (JsonException exception)
        {
            throw new UsageException($"--file {settings.File} is not a valid MutationCompleted document: {exception.Message}");
        }

        // The service's own rules, before anything connects anywhere: a bad event is never sent.
        using var ledger = new LedgerReader();
        var problems = ledger.Services.GetServices<IMessageValidator<MutationCompleted>>().ProblemsWith(mutation);
        if (problems.Count > 0)
        {
            throw new UsageException($"not published: {string.Join("; ", problems)}");
        }

        using var client = CommandSupport.Client(ledger.Services);
        var route = await CommandSupport.ChooseRouteAsync(ledger.Services, client, cancellationToken);
        if (route == Route.Http)
        {
            var (status, errors) = await client.PostAsync(IntakeEndpoints.MutationsPath, mutation, cancellationToken);
            if (errors.Count > 0)
            {
                CommandSupport.Error($"the service refused it (HTTP {status}): {string.Join("; ", errors)}");
                return status is >= 400 and < 500 ? ExitCodes.BadInput : ExitCodes.Failed;
            }

            return settings.Wait ? await FollowAsync(ledger, mutation, settings, cancellationToken) : Published(mutation, settings, "to " + client.Address);
        }

        return await CommandSupport.WithBusAsync(route, async bus =>
        {
            await bus.Publish(mutation, cancellationToken);

            // In this process the gate only runs while we wait for it.
            return settings.Wait || route == Route.InProcess
                ? await FollowAsync(ledger, mutation, settings, cancellationToken)
                : Published(mutation, settings, "to RabbitMQ");
        }, cancellationToken);
    }

    private int Published(MutationCompleted mutation, Settings settings, string where)
    {
        if (settings.Json)
        {
            CommandSupport.WriteJson(console, new { mutationJobId = mutation.MutationJobId, published = true });
        }
        else
        {
            console.WriteLine($"published {mutation.JobType} {mutation.MutationJobId} {where}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>Prints the gate's steps as the ledger records them; exit 0 only when the environment ends active.</summary>
    private async Task<int> FollowAsync(LedgerReader ledger, MutationCompleted mutation, Settings settings, CancellationToken cancellationToken)
    {
        var follower = new GateFollower(console, ledger, quiet: settings.Json);
        var progress = await follower.FollowAsync(mutation.MutationJobId, mutation.EnvironmentId, TimeSpan.FromSeconds(settings.TimeoutSeconds), cancellationToken);
        if (progress.Gate?.Outcome is not { } outcome)
        {
            CommandSupport.Error($"the gate of {mutation.MutationJobId} did not end within {settings.TimeoutSeconds} s; `pressluft status --environment {mutation.EnvironmentId}` shows where it is");
            return ExitCodes.Failed;
        }

        if (settings.Json)
        {
            CommandSupport.WriteJson(console, new
            {
                mutationJobId = mutation.MutationJobId,
                outcome,
                errorCode = progress.Gate.ErrorCode,
                environmentStatus = progress.EnvironmentStatus,
                steps = follower.Steps.Select(s => new { at = s.At, text = s.Text }),
            });
        }

        return progress.EnvironmentStatus == EnvironmentStatuses.Active ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static MutationCompleted Read(string file) =>
        JsonSerializer.Deserialize<MutationCompleted>(System.IO.File.ReadAllText(file), CommandSupport.Json)
        ?? throw new JsonException("the document is empty");

    private static MutationCompleted FromOptions(Settings s) => new()
    {
        MutationJobId = s.JobId ?? NewId.NextGuid(),
        JobType = s.JobType,
        SiteId = s.SiteId!.Value,
        EnvironmentId = s.EnvironmentId!.Value,
        EnvironmentType = s.EnvironmentType,
        Node = new NodeRef { Id = Guid.Empty, Hostname = s.NodeHost!, SshPort = s.NodePort, SshUser = s.NodeUser! },
        EnvironmentUrl = s.Url!,
        Release = new ReleaseRef { Id = s.ReleaseId!.Value, Path = s.ReleasePath! },
        PreviousRelease = s.PreviousId is { } previous ? new ReleaseRef { Id = previous, Path = s.PreviousPath! } : null,
        CompletedAt = DateTimeOffset.UtcNow,
    };
}

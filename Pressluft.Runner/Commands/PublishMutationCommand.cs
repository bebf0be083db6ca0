using System.ComponentModel;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
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
        [Description("A JSON document of MutationCompleted (the schema is docs/contracts/mutation-completed.schema.json); other options are then ignored.")]
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

        [TypeConverter(typeof(UuidConverter))]
        public Guid? SiteId { get; init; }

        [CommandOption("--environment <ID>")]

        [TypeConverter(typeof(UuidConverter))]
        public Guid? EnvironmentId { get; init; }

        [CommandOption("--environment-type <TYPE>")]
        [DefaultValue("production")]
        public string EnvironmentType { get; init; } = "production";

        [CommandOption("--release-id <ID>")]

        [TypeConverter(typeof(UuidConverter))]
        public Guid? ReleaseId { get; init; }

        [CommandOption("--release-path <PATH>")]
        public string? ReleasePath { get; init; }

        [CommandOption("--previous-id <ID>")]

        [TypeConverter(typeof(UuidConverter))]
        public Guid? PreviousId { get; init; }

        [CommandOption("--previous-path <PATH>")]
        public string? PreviousPath { get; init; }

        [CommandOption("--url <URL>")]
        [Description("The URL the HTTP check requests.")]
        public string? Url { get; init; }

        [CommandOption("--node-host <HOST>")]
        public string? NodeHost { get; init; }

        [CommandOption("--node-user <USER>")]
        public string? NodeUser { get; init; }

        [CommandOption("--node-port <PORT>")]
        [DefaultValue(22)]
        public int NodePort { get; init; } = 22;

        [CommandOption("--wait")]
        [Description("Wait for the gate to end and exit 1 unless the environment ends active (always on for the embedded default).")]
        public bool Wait { get; init; }

        [CommandOption("--timeout <SECONDS>")]
        [DefaultValue(600)]
        public int TimeoutSeconds { get; init; } = 600;

        [CommandOption("--json")]
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
            CommandSupport.Error($"{settings.File} is not a valid MutationCompleted document: {exception.Message}");
            return ExitCodes.BadInput;
        }

        // The service's own rules, before anything connects anywhere: a bad event is never sent.
        return await CommandSupport.WithBusAsync(services =>
        {
            var problems = services.GetServices<IMessageValidator<MutationCompleted>>().SelectMany(v => v.Validate(mutation)).ToList();
            if (problems.Count == 0)
            {
                return Task.FromResult<int?>(null);
            }

            CommandSupport.Error($"not published: {string.Join("; ", problems)}");
            return Task.FromResult<int?>(ExitCodes.BadInput);
        }, async (services, bus, embedded) =>
        {
            await bus.Publish(mutation, cancellationToken);
            if (!settings.Wait && !embedded)
            {
                Report(new { mutationJobId = mutation.MutationJobId, published = true }, $"published {mutation.JobType} {mutation.MutationJobId}");
                return ExitCodes.Ok;
            }

            var deadline = DateTime.UtcNow.AddSeconds(settings.TimeoutSeconds);
            while (DateTime.UtcNow < deadline)
            {
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
                var gate = await db.Gates.AsNoTracking().SingleOrDefaultAsync(g => g.MutationJobId == mutation.MutationJobId, cancellationToken);
                if (gate?.Outcome is { } outcome)
                {
                    var status = await db.Environments.AsNoTracking().Where(e => e.Id == mutation.EnvironmentId).Select(e => e.Status).SingleAsync(cancellationToken);
                    Report(new { mutationJobId = mutation.MutationJobId, outcome, errorCode = gate.ErrorCode, environmentStatus = status },
                        $"gate {outcome}{(gate.ErrorCode is null ? "" : $" ({gate.ErrorCode})")}; environment {status}");
                    return status == EnvironmentStatuses.Active ? ExitCodes.Ok : ExitCodes.Failed;
                }

                await Task.Delay(250, cancellationToken);
            }

            CommandSupport.Error($"the gate of {mutation.MutationJobId} did not end within {settings.TimeoutSeconds} s");
            return ExitCodes.Failed;
        }, cancellationToken);

        void Report(object json, string text)
        {
            if (settings.Json)
            {
                CommandSupport.WriteJson(console, json);
            }
            else
            {
                console.WriteLine(text);
            }
        }
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

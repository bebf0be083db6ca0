using System.ComponentModel;
using ValidationResult = Spectre.Console.ValidationResult;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Sagas.Validation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Returns a <c>failed</c> environment to <c>active</c>; the saga records who asked and why.</summary>
public sealed class ResetEnvironmentCommand(IAnsiConsole console) : AsyncCommand<ResetEnvironmentCommand.Settings>
{
    public sealed class Settings : PressluftSettings
    {
        [CommandArgument(0, "<ENVIRONMENT-ID>")]
        [TypeConverter(typeof(UuidConverter))]
        [Description("The failed environment.")]
        public Guid EnvironmentId { get; init; }

        [CommandOption("--by <WHO>")]
        [Description("Who resets it (recorded).")]
        public string? RequestedBy { get; init; }

        [CommandOption("--reason <TEXT>")]
        [Description("Why (recorded).")]
        public string? Reason { get; init; }

        [CommandOption("--timeout <SECONDS>")]
        [Description("How long to wait for the service to record the reset.")]
        [DefaultValue(30)]
        public int TimeoutSeconds { get; init; } = 30;

        [CommandOption("--json")]
        [Description("Print JSON instead of text.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(RequestedBy))
            {
                return ValidationResult.Error("--by is required: say who resets the environment");
            }

            return TimeoutSeconds is < 1 or > 600 ? ValidationResult.Error("--timeout must be 1..600 seconds") : ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var reset = new ResetEnvironment
        {
            EnvironmentId = settings.EnvironmentId,
            RequestedBy = settings.RequestedBy!,
            Reason = settings.Reason,
            RequestedAt = DateTimeOffset.UtcNow,
        };
        using var ledger = new LedgerReader();
        var problems = ledger.Services.GetServices<IMessageValidator<ResetEnvironment>>().ProblemsWith(reset);
        if (problems.Count > 0)
        {
            throw new UsageException($"not sent: {string.Join("; ", problems)}");
        }

        var status = await StatusAsync(ledger, settings.EnvironmentId, cancellationToken);
        if (status is null)
        {
            CommandSupport.Error($"environment {settings.EnvironmentId} is not in the ledger ({ledger.Where})");
            return ExitCodes.Failed;
        }

        if (status != EnvironmentStatuses.Failed)
        {
            CommandSupport.Error($"environment {settings.EnvironmentId} is {status}, not failed: nothing to reset");
            return ExitCodes.Failed;
        }

        using var client = CommandSupport.Client(ledger.Services);
        var route = await CommandSupport.ChooseRouteAsync(ledger.Services, client, cancellationToken);
        if (route == Route.Http)
        {
            var (code, errors) = await client.PostAsync($"/environments/{settings.EnvironmentId}/reset", reset, cancellationToken);
            if (errors.Count > 0)
            {
                CommandSupport.Error($"the service refused it (HTTP {code}): {string.Join("; ", errors)}");
                return code == 400 ? ExitCodes.BadInput : ExitCodes.Failed;
            }

            return await AwaitActiveAsync(ledger, settings, cancellationToken);
        }

        return await CommandSupport.WithBusAsync(route, async bus =>
        {
            await bus.Publish(reset, cancellationToken);
            return await AwaitActiveAsync(ledger, settings, cancellationToken);
        }, cancellationToken);
    }

    private static Task<string?> StatusAsync(LedgerReader ledger, Guid environmentId, CancellationToken cancellationToken) =>
        ledger.ReadAsync(db => db.Environments.AsNoTracking().Where(e => e.Id == environmentId).Select(e => e.Status).SingleOrDefaultAsync(cancellationToken),
            cancellationToken);

    private async Task<int> AwaitActiveAsync(LedgerReader ledger, Settings settings, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(settings.TimeoutSeconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await StatusAsync(ledger, settings.EnvironmentId, cancellationToken) == EnvironmentStatuses.Active)
            {
                if (settings.Json)
                {
                    CommandSupport.WriteJson(console, new { environmentId = settings.EnvironmentId, status = EnvironmentStatuses.Active });
                }
                else
                {
                    console.MarkupLineInterpolated($"[green]environment {settings.EnvironmentId} is active[/] (reset by {settings.RequestedBy})");
                }

                return ExitCodes.Ok;
            }

            await Task.Delay(200, cancellationToken);
        }

        CommandSupport.Error($"the reset was sent but not recorded within {settings.TimeoutSeconds} s; is the service running?");
        return ExitCodes.Failed;
    }
}

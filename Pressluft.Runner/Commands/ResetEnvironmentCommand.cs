using System.ComponentModel;
using MassTransit;
using ValidationResult = Spectre.Console.ValidationResult;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
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
        [Description("How long to wait for the service to record the reset (default 30).")]
        [DefaultValue(30)]
        public int TimeoutSeconds { get; init; } = 30;

        [CommandOption("--json")]
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
        return await CommandSupport.WithBusAsync(async services =>
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
            var environment = await db.Environments.AsNoTracking().SingleOrDefaultAsync(e => e.Id == settings.EnvironmentId, cancellationToken);
            if (environment is null)
            {
                CommandSupport.Error($"environment {settings.EnvironmentId} is not in the ledger");
                return ExitCodes.Failed;
            }

            if (environment.Status != EnvironmentStatuses.Failed)
            {
                CommandSupport.Error($"environment {settings.EnvironmentId} is {environment.Status}, not failed: nothing to reset");
                return ExitCodes.Failed;
            }

            return null;
        }, async (services, bus, _) =>
        {
            await bus.Publish(new ResetEnvironment
            {
                EnvironmentId = settings.EnvironmentId,
                RequestedBy = settings.RequestedBy!,
                Reason = settings.Reason,
                RequestedAt = DateTimeOffset.UtcNow,
            }, cancellationToken);

            var deadline = DateTime.UtcNow.AddSeconds(settings.TimeoutSeconds);
            while (DateTime.UtcNow < deadline)
            {
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
                var status = await db.Environments.AsNoTracking().Where(e => e.Id == settings.EnvironmentId).Select(e => e.Status).SingleAsync(cancellationToken);
                if (status == EnvironmentStatuses.Active)
                {
                    if (settings.Json)
                    {
                        CommandSupport.WriteJson(console, new { environmentId = settings.EnvironmentId, status });
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
        }, cancellationToken);
    }
}

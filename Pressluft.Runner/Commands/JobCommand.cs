using System.ComponentModel;
using Pressluft.Runner.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>One job from the ledger: why it failed, check by check, with the redacted playbook output.</summary>
public sealed class JobCommand(IAnsiConsole console) : AsyncCommand<JobCommand.Settings>
{
    public sealed class Settings : PressluftSettings
    {
        [CommandArgument(0, "<JOB-ID>")]
        [TypeConverter(typeof(UuidConverter))]
        [Description("The job (health_check or release_rollback), as listed by status.")]
        public Guid JobId { get; init; }

        [CommandOption("--json")]
        [Description("Print JSON instead of tables.")]
        public bool Json { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var ledger = new LedgerReader();
        var job = await ledger.ReadAsync(db => LedgerQueries.JobAsync(db, settings.JobId, cancellationToken), cancellationToken);
        if (job is null)
        {
            CommandSupport.Error($"job {settings.JobId} is not in the ledger ({ledger.Where})");
            return ExitCodes.Failed;
        }

        if (settings.Json)
        {
            CommandSupport.WriteJson(console, job);
        }
        else
        {
            LedgerTables.Job(console, job);
        }

        return ExitCodes.Ok;
    }
}

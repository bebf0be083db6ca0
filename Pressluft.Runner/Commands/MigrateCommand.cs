using Microsoft.Extensions.Configuration;
using Pressluft.Messaging.Persistence;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Applies the ledger's migrations and exits.</summary>
public sealed class MigrateCommand(IAnsiConsole console) : AsyncCommand
{
    public override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        using var host = CommandSupport.LedgerHost();
        await host.Services.MigrateLedgerAsync(cancellationToken);
        var ledger = host.Services.GetService(typeof(IConfiguration)) is IConfiguration configuration
            ? configuration.GetSection(LedgerOptions.SectionName).Get<LedgerOptions>() ?? new LedgerOptions()
            : new LedgerOptions();
        console.MarkupLineInterpolated($"[green]ledger migrated[/] ({ledger.Provider})");
        return ExitCodes.Ok;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Persistence;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Applies the ledger's migrations and exits.</summary>
public sealed class MigrateCommand(IAnsiConsole console) : AsyncCommand<PressluftSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, PressluftSettings settings, CancellationToken cancellationToken)
    {
        using var host = CommandSupport.LedgerHost();
        await host.Services.MigrateLedgerAsync(cancellationToken);
        var ledger = host.Services.GetRequiredService<IConfiguration>().GetSection(LedgerOptions.SectionName).Get<LedgerOptions>() ?? new LedgerOptions();
        console.WriteLine($"ledger migrated ({ledger.Provider}{(Hosting.ServiceConfiguration.SqliteFile(ledger) is { } file ? $", {file}" : "")})");
        return ExitCodes.Ok;
    }
}

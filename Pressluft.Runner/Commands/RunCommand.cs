using Microsoft.Extensions.Hosting;
using Pressluft.Runner.Hosting;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Runs the service until stopped (Ctrl+C or SIGTERM), on the configured transport and store.</summary>
public sealed class RunCommand : AsyncCommand<PressluftSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, PressluftSettings settings, CancellationToken cancellationToken)
    {
        using var host = RunnerHost.CreateBuilder().Build();
        await host.RunAsync(cancellationToken);
        return ExitCodes.Ok;
    }
}

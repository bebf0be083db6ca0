using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pressluft.Runner.Hosting;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Runs the service until stopped (Ctrl+C or SIGTERM), on the configured transport and store.</summary>
public sealed class RunCommand : AsyncCommand
{
    public override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        try
        {
            using var host = RunnerHost.CreateBuilder().Build();
            await host.RunAsync(cancellationToken);
            return ExitCodes.Ok;
        }
        catch (OptionsValidationException exception)
        {
            CommandSupport.Error($"configuration is invalid: {CommandSupport.Describe(exception)}");
            return ExitCodes.BadInput;
        }
    }
}

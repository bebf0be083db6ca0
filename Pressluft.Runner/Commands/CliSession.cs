using Pressluft.Runner.Hosting;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>
/// Applies the options every verb shares before the verb runs: <c>--config</c> becomes the configuration file every
/// host of this process reads, <c>--verbose</c> turns on framework logs and stack traces.
/// </summary>
public sealed class CliSession : ICommandInterceptor
{
    /// <summary>Whether errors carry their stack trace (set from <c>--verbose</c>).</summary>
    public static bool Verbose { get; private set; }

    public void Intercept(CommandContext context, CommandSettings settings)
    {
        if (settings is not PressluftSettings shared)
        {
            return;
        }

        Verbose = shared.Verbose;
        if (shared.ConfigFile is { } file)
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path))
            {
                throw new UsageException($"--config {file}: no such file");
            }

            Environment.SetEnvironmentVariable(ServiceConfiguration.ConfigFileVariable, path);
        }
    }

    /// <summary>Settings a CLI verb's host starts from: quiet framework logs unless <c>--verbose</c>.</summary>
    public static Dictionary<string, string?> HostOverrides() => new()
    {
        ["Serilog:MinimumLevel:Default"] = Verbose ? "Information" : "Warning",
        ["Serilog:MinimumLevel:Override:MassTransit"] = Verbose ? "Information" : "Warning",
        ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",

        // A verb reports a database failure itself, in one line; EF's own error events would repeat it with a stack.
        ["Serilog:MinimumLevel:Override:Microsoft.EntityFrameworkCore"] = Verbose ? "Warning" : "Fatal",
    };
}

using System.ComponentModel;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Options every verb takes: where the configuration is, and how much to say when something goes wrong.</summary>
public class PressluftSettings : CommandSettings
{
    [CommandOption("--config <FILE>")]
    [Description("Read this configuration file instead of /etc/pressluft/appsettings.json.")]
    public string? ConfigFile { get; init; }

    [CommandOption("--verbose")]
    [Description("Framework logs at Information and stack traces with errors.")]
    public bool Verbose { get; init; }
}

using System.Reflection;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace Pressluft.Runner.Commands;

/// <summary>Spectre's help, with the exit codes and where configuration comes from at the foot of every page.</summary>
public sealed class CliHelp(ICommandAppSettings settings) : HelpProvider(settings)
{
    public static string Version { get; } =
        typeof(CliHelp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public override IEnumerable<IRenderable> GetFooter(ICommandModel model, ICommandInfo? command) =>
    [
        new Text(Environment.NewLine),
        new Markup("[yellow]EXIT CODES:[/]" + Environment.NewLine),
        new Text("    0  ok" + Environment.NewLine),
        new Text("    1  the gate failed, the operation was refused or timed out, or a service could not be reached" + Environment.NewLine),
        new Text("    2  bad input or configuration (unknown verb or option, malformed value); nothing was changed" + Environment.NewLine),
        new Text(Environment.NewLine),
        new Markup("[yellow]CONFIGURATION:[/]" + Environment.NewLine),
        new Text("    appsettings.json beside the binary, then --config <FILE> or PRESSLUFT_CONFIG (else /etc/pressluft/appsettings.json)," + Environment.NewLine),
        new Text("    then environment variables such as Pressluft__Ledger__Provider=Postgres. Keys: docs/operations.md." + Environment.NewLine),
    ];
}

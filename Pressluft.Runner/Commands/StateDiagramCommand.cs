using System.ComponentModel;
using Pressluft.Sagas.StateMachines;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Redraws the state diagram in a Markdown file from the machine (a test keeps the committed one equal to it).</summary>
public sealed class StateDiagramCommand(IAnsiConsole console) : Command<StateDiagramCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[FILE]")]
        [Description("The Markdown file holding the generated section (default docs/state-machines.md).")]
        public string File { get; init; } = "docs/state-machines.md";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var section = StateMachineDiagram.Render(new ReleaseLifecycleStateMachine());
        System.IO.File.WriteAllText(settings.File, StateMachineDiagram.Replace(System.IO.File.ReadAllText(settings.File), section));
        console.MarkupLineInterpolated($"wrote the state diagram into {settings.File}");
        return ExitCodes.Ok;
    }
}

using System.ComponentModel;
using Pressluft.Runner.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>Writes the contracts' JSON Schemas (a test keeps the committed ones equal to the C# types).</summary>
public sealed class SchemasCommand(IAnsiConsole console) : Command<SchemasCommand.Settings>
{
    public sealed class Settings : PressluftSettings
    {
        [CommandArgument(0, "[DIRECTORY]")]
        [Description("Where to write them (default docs/contracts).")]
        public string Directory { get; init; } = "docs/contracts";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(settings.Directory);
        foreach (var (file, schema) in ContractSchemas.All())
        {
            File.WriteAllText(Path.Combine(settings.Directory, file), schema);
            console.MarkupLineInterpolated($"wrote {Path.Combine(settings.Directory, file)}");
        }

        return ExitCodes.Ok;
    }
}

using System.Diagnostics;

namespace Pressluft.Runner.Tests.Support;

/// <summary>What a CLI run left behind: its exit code, standard output (tables or JSON) and standard error (logs, errors).</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs the built <c>pressluft</c> as an operator would, configured through environment variables only.</summary>
public static class Cli
{
    /// <summary>Starts <c>dotnet pressluft.dll</c> with <paramref name="settings"/> as <c>Pressluft__...</c> variables.</summary>
    public static Process Start(IEnumerable<string> arguments, IDictionary<string, string?> settings, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pressluft.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A machine that has the service installed must not leak its configuration into a test.
        start.Environment[Hosting.ServiceConfiguration.ConfigFileVariable] = null;
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start pressluft");
    }

    public static Task<CliResult> RunAsync(IDictionary<string, string?> settings, params string[] arguments) => RunInAsync(null, settings, arguments);

    public static async Task<CliResult> RunInAsync(string? workingDirectory, IDictionary<string, string?> settings, params string[] arguments)
    {
        using var process = Start(arguments, settings, workingDirectory);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return new CliResult(process.ExitCode, await output, await error);
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pressluft.Runner.Hosting;
using Spectre.Console;

namespace Pressluft.Runner.Commands;

/// <summary>Exit codes of the CLI.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The operation ran and did not succeed (gate failed, nothing to reset, timed out).</summary>
    public const int Failed = 1;

    /// <summary>Bad input or configuration; nothing was changed.</summary>
    public const int BadInput = 2;
}

internal static class CommandSupport
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void WriteJson(IAnsiConsole console, object value) => console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, Json));

    private static readonly IAnsiConsole ErrorConsole = CreateErrorConsole();

    private static IAnsiConsole CreateErrorConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected)
        {
            // A script reads one error per line; do not wrap it at a guessed terminal width.
            console.Profile.Width = 4096;
        }

        return console;
    }

    /// <summary>Errors go to standard error, so standard output stays parseable (<c>--json</c>).</summary>
    public static void Error(string message) => ErrorConsole.MarkupLineInterpolated($"[red]error:[/] {message}");

    /// <summary>
    /// Runs <paramref name="work"/> with a started bus: the whole service in-process on the embedded default (someone has
    /// to consume), only a publishing bus on RabbitMQ (the running service consumes). <paramref name="check"/> runs first,
    /// before anything connects; an exit code from it ends the verb there.
    /// </summary>
    public static async Task<int> WithBusAsync(Func<IServiceProvider, Task<int?>> check, Func<IServiceProvider, IBus, bool, Task<int>> work,
        CancellationToken cancellationToken)
    {
        var probe = RunnerHost.CreateBuilder(service: false, cli: true);
        var embedded = (probe.Configuration.GetSection(TransportOptions.SectionName).Get<TransportOptions>() ?? new TransportOptions()).Kind == TransportKind.InMemory;
        using var host = RunnerHost.CreateBuilder(service: embedded, cli: true).Build();
        if (await check(host.Services) is { } exitCode)
        {
            return exitCode;
        }

        await host.StartAsync(cancellationToken);
        try
        {
            return await work(host.Services, host.Services.GetRequiredService<IBus>(), embedded);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>A host for reading the ledger (not started).</summary>
    public static IHost LedgerHost() => RunnerHost.CreateBuilder(service: false, cli: true).Build();

    public static string Describe(OptionsValidationException exception) => string.Join("; ", exception.Failures);
}

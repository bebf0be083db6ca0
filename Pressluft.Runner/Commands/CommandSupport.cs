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

internal static class CommandSupport
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void WriteJson(IAnsiConsole console, object value) => console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Errors go to standard error, so standard output stays parseable (<c>--json</c>).</summary>
    public static void Error(string message) => CliErrors.Write(message);

    /// <summary>
    /// Runs <paramref name="work"/> with a started bus: the whole service in-process on the embedded default (someone has
    /// to consume), only a publishing bus on RabbitMQ (the running service consumes). <paramref name="check"/> runs first,
    /// before anything connects; an exit code from it ends the verb there.
    /// </summary>
    public static async Task<int> WithBusAsync(Func<IServiceProvider, Task<int?>> check, Func<IServiceProvider, IBus, bool, Task<int>> work,
        CancellationToken cancellationToken)
    {
        var probe = RunnerHost.CreateBuilder(CliSession.HostOverrides(), service: false, cli: true);
        var embedded = (probe.Configuration.GetSection(TransportOptions.SectionName).Get<TransportOptions>() ?? new TransportOptions()).Kind == TransportKind.InMemory;
        using var host = RunnerHost.CreateBuilder(CliSession.HostOverrides(), service: embedded, cli: true).Build();
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
    public static IHost LedgerHost() => RunnerHost.CreateBuilder(CliSession.HostOverrides(), service: false, cli: true).Build();
}

using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Http;
using Spectre.Console;

namespace Pressluft.Runner.Commands;

/// <summary>How a verb's message reaches the service.</summary>
internal enum Route
{
    /// <summary>Published to RabbitMQ, where the running service (or the next one to start) consumes it.</summary>
    Broker,

    /// <summary>Posted to the running service's HTTP intake (embedded default).</summary>
    Http,

    /// <summary>No service runs on the embedded default: this process runs the whole service until the work is done.</summary>
    InProcess,
}

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

    /// <summary>A host for reading the ledger and resolving the service's validators (not started).</summary>
    public static IHost LedgerHost() => RunnerHost.CreateBuilder(CliSession.HostOverrides(), service: false, cli: true).Build();

    /// <summary>
    /// Chooses the route: the broker on RabbitMQ; on the embedded default the running service's HTTP intake, or, when
    /// none answers, this process (with a note saying so).
    /// </summary>
    public static async Task<Route> ChooseRouteAsync(IServiceProvider services, ServiceClient client, CancellationToken cancellationToken)
    {
        var transport = services.GetRequiredService<IConfiguration>().GetSection(TransportOptions.SectionName).Get<TransportOptions>() ?? new TransportOptions();
        if (transport.Kind == TransportKind.RabbitMq)
        {
            return Route.Broker;
        }

        if (await client.IsRunningAsync(cancellationToken))
        {
            return Route.Http;
        }

        CliErrors.Note($"no service answers at {client.Address}; running the gate in this process (start `pressluft run` to keep one running)");
        return Route.InProcess;
    }

    public static ServiceClient Client(IServiceProvider services) =>
        new(services.GetRequiredService<IConfiguration>().GetSection(HttpOptions.SectionName).Get<HttpOptions>() ?? new HttpOptions());

    /// <summary>
    /// Runs <paramref name="work"/> with a started bus: the whole service (without its HTTP surface) for
    /// <see cref="Route.InProcess"/>, only a publishing bus for <see cref="Route.Broker"/>.
    /// </summary>
    public static async Task<int> WithBusAsync(Route route, Func<IBus, Task<int>> work, CancellationToken cancellationToken)
    {
        var overrides = CliSession.HostOverrides();
        overrides["Pressluft:Http:Enabled"] = "false";
        var builder = RunnerHost.CreateBuilder(overrides, service: route == Route.InProcess, cli: true);

        // An operator waiting at a prompt hears about an unreachable broker within seconds, not after the service's minute.
        builder.Services.Configure<MassTransitHostOptions>(o => o.StartTimeout = TimeSpan.FromSeconds(15));
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            return await work(host.Services.GetRequiredService<IBus>());
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}

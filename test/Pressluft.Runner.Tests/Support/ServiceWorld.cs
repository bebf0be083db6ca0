using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Hosting;
using Pressluft.Testing;
using RabbitMQ.Client;

namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// The service as operators run it: RabbitMQ (a vhost of its own on the broker the test command started), PostgreSQL
/// (a database of its own), real ansible-playbook against a local site. The service runs in this process or as a
/// child process (for kill -9).
/// </summary>
public sealed class ServiceWorld : IAsyncDisposable
{
    public const string RabbitVariable = "PRESSLUFT_TEST_RABBITMQ";
    public const string ManagementVariable = "PRESSLUFT_TEST_RABBITMQ_MANAGEMENT";

    private readonly HttpClient _management;
    private readonly int _httpPort = Ports.Free();
    private IHost? _host;
    private ServiceProvider? _ledger;

    private ServiceWorld(AnsibleWorld ansible, TestDatabase database, Uri rabbit, string vhost, HttpClient management)
    {
        Ansible = ansible;
        Database = database;
        Vhost = vhost;
        _management = management;
        RabbitUrl = new UriBuilder(rabbit) { Path = "/" + vhost }.Uri;
    }

    public AnsibleWorld Ansible { get; }
    public TestDatabase Database { get; }
    public string Vhost { get; }
    public Uri RabbitUrl { get; }

    public static async Task<ServiceWorld> CreateAsync()
    {
        var rabbit = Required(RabbitVariable);
        var management = new HttpClient { BaseAddress = new Uri(Required(ManagementVariable)) };
        var rabbitUri = new Uri(rabbit);
        var credentials = Uri.UnescapeDataString(rabbitUri.UserInfo);
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        var vhost = $"pressluft-test-{Guid.NewGuid():N}";
        (await management.PutAsync($"api/vhosts/{vhost}", null)).EnsureSuccessStatusCode();
        var user = credentials.Split(':')[0];
        (await management.PutAsync($"api/permissions/{vhost}/{user}",
            new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        return new ServiceWorld(AnsibleWorld.Create(), await TestDatabase.CreateAsync(LedgerProvider.Postgres), rabbitUri, vhost, management);
    }

    /// <summary>The service's configuration, as settings (in process) or environment variables (child process).</summary>
    public Dictionary<string, string?> Settings(IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Pressluft:Transport:Kind"] = "RabbitMq",
            ["Pressluft:Transport:RabbitMqUrl"] = RabbitUrl.ToString(),
            ["Pressluft:Ledger:Provider"] = "Postgres",
            ["Pressluft:Ledger:ConnectionString"] = Database.Options.ConnectionString,
            ["Pressluft:Ansible:Connection"] = "local",
            ["Pressluft:Ansible:SitesRoot"] = Ansible.SitesRoot,
            ["Pressluft:Ansible:WpCliPath"] = Ansible.WpCliPath,
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "5",
            ["Pressluft:Ansible:CheckRetryDelaySeconds"] = "0",
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:01:30",
            ["Pressluft:HealthGate:RollbackDeadline"] = "00:01:30",
            ["Pressluft:Outbox:RelayInterval"] = "00:00:00.200",
            ["Serilog:MinimumLevel:Default"] = "Warning",

            // Each service a test starts listens on a port of its own.
            ["Pressluft:Http:Url"] = $"http://127.0.0.1:{_httpPort}/",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <param name="overrides">Settings that differ from <see cref="Settings"/>.</param>
    /// <param name="bus">What a spec adds to the bus's registration (a callback for one endpoint, say).</param>
    public async Task StartInProcessAsync(IDictionary<string, string?>? overrides = null, Action<IBusRegistrationConfigurator>? bus = null)
    {
        _host = RunnerHost.CreateBuilder(Settings(overrides), bus).Build();
        await _host.StartAsync();
    }

    /// <summary>Starts <c>pressluft run</c> as a child process configured through environment variables.</summary>
    public Process StartChildProcess(IDictionary<string, string?>? overrides = null) => StartCli(["run"], overrides);

    /// <summary>Runs a CLI verb to completion; returns exit code, standard output (the verb's tables or JSON) and standard error (logs, errors).</summary>
    public async Task<(int ExitCode, string Output, string Error)> RunCliAsync(params string[] arguments)
    {
        var result = await Cli.RunAsync(Settings(), arguments);
        return (result.ExitCode, result.Output, result.Error);
    }

    private Process StartCli(string[] arguments, IDictionary<string, string?>? overrides) => Cli.Start(arguments, Settings(overrides));

    public async Task StopInProcessAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
            _host = null;
        }
    }

    /// <summary>Publishes a body as a service that is not MassTransit would: plain JSON on the documented exchange.</summary>
    /// <param name="exchange">The exchange.</param>
    /// <param name="body">The JSON.</param>
    /// <param name="withMessageId">False to publish as a client that sets no <c>message_id</c>.</param>
    public async Task PublishPlainJsonAsync(string exchange, string body, bool withMessageId = true)
    {
        var factory = new ConnectionFactory { Uri = RabbitUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            MessageId = withMessageId ? Guid.NewGuid().ToString() : null,
            DeliveryMode = DeliveryModes.Persistent,
        };
        await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Takes every message out of <paramref name="queue"/>, with its headers as text.</summary>
    public async Task<List<(string Body, Dictionary<string, string> Headers)>> DrainAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = RabbitUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var messages = new List<(string, Dictionary<string, string>)>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            var headers = (message.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .ToDictionary(h => h.Key, h => h.Value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : h.Value?.ToString() ?? "");
            messages.Add((Encoding.UTF8.GetString(message.Body.Span), headers));
        }

        return messages;
    }

    /// <summary>
    /// Queues of this vhost with how many messages they hold (from the management API). A queue the broker has not counted
    /// yet (a new one, or any just after a restart) has no count, which is not zero: waits until every queue has one.
    /// </summary>
    public async Task<Dictionary<string, int>> QueueDepthsAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var json = JsonNode.Parse(await _management.GetStringAsync($"api/queues/{Vhost}"))!.AsArray();
            if (json.All(q => q!["messages"] is not null) || DateTime.UtcNow > deadline)
            {
                return json.ToDictionary(q => q!["name"]!.GetValue<string>(), q => q!["messages"]?.GetValue<int>() ?? throw new InvalidOperationException(
                    $"the broker has not counted queue {q["name"]} within 15 s"));
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Whether anything is bound to <paramref name="exchange"/> yet (a message published before that is dropped).</summary>
    public async Task<bool> HasBindingsAsync(string exchange)
    {
        var response = await _management.GetAsync($"api/exchanges/{Vhost}/{exchange}/bindings/source");
        return response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Count > 0;
    }

    /// <summary>The exchanges bound to <paramref name="exchange"/> (the sources of its bindings), in name order.</summary>
    public Task<List<string>> SourcesBoundToAsync(string exchange) => BindingSourcesAsync($"api/exchanges/{Vhost}/{exchange}/bindings/destination");

    /// <summary>The exchanges bound to the queue <paramref name="queue"/>, in name order.</summary>
    public Task<List<string>> ExchangesBoundToQueueAsync(string queue) => BindingSourcesAsync($"api/queues/{Vhost}/{queue}/bindings");

    // The named sources of the bindings the management API lists at path; the default exchange ("") is left out.
    private async Task<List<string>> BindingSourcesAsync(string path)
    {
        var json = JsonNode.Parse(await _management.GetStringAsync(path))!.AsArray();
        return json.Select(b => b!["source"]!.GetValue<string>()).Where(s => s.Length > 0).Order(StringComparer.Ordinal).ToList();
    }

    public async Task<T> QueryAsync<T>(Func<PressluftDbContext, Task<T>> query)
    {
        _ledger ??= new ServiceCollection().AddPressluftLedger(Database.Options).BuildServiceProvider();
        await using var scope = _ledger.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PressluftDbContext>());
    }

    public async Task<GateRecord> WaitForGateAsync(Guid mutationJobId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var gate = await TryQueryAsync(db => db.Gates.AsNoTracking().SingleOrDefaultAsync(g => g.MutationJobId == mutationJobId));
            if (gate?.Outcome is not null)
            {
                return gate;
            }

            await Task.Delay(200);
        }

        var errors = string.Join("; ", (await QueueDepthsAsync()).Where(q => q.Value > 0).Select(q => $"{q.Key}={q.Value}"));
        var reasons = (await QueueDepthsAsync()).Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal) && q.Value > 0).Select(q => q.Key).ToList();
        var why = new List<string>();
        foreach (var queue in reasons)
        {
            why.AddRange((await DrainAsync(queue)).Select(m => $"{queue}: {m.Headers.GetValueOrDefault("MT-Fault-Message")}"));
        }

        throw new TimeoutException($"the gate of {mutationJobId} did not end within {timeout}; queues holding messages: {errors}; {string.Join("; ", why)}");
    }

    /// <summary>A query that tolerates a ledger the service has not migrated yet.</summary>
    public async Task<T?> TryQueryAsync<T>(Func<PressluftDbContext, Task<T>> query)
    {
        try
        {
            return await QueryAsync(query);
        }
        catch (Npgsql.PostgresException exception) when (exception.SqlState == "42P01")
        {
            return default;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopInProcessAsync();
        if (_ledger is not null)
        {
            await _ledger.DisposeAsync();
        }

        await Database.DisposeAsync();
        await Ansible.DisposeAsync();
        await _management.DeleteAsync($"api/vhosts/{Vhost}");
        _management.Dispose();
    }

    private static string Required(string variable) =>
        System.Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set. Run ./build.sh --target=Test, which starts RabbitMQ with scripts/rabbitmq.sh.");

    public static string MutationJson(AnsibleWorld world, Guid mutationJobId, Demo.LocalSite site, Contracts.ReleaseRef release, Contracts.ReleaseRef? previous,
        Action<JsonObject>? change = null)
    {
        var json = new JsonObject
        {
            ["mutationJobId"] = mutationJobId.ToString(),
            ["jobType"] = "env_deploy",
            ["siteId"] = site.SiteId.ToString(),
            ["siteSlug"] = "shop",
            ["environmentId"] = site.EnvironmentId.ToString(),
            ["environmentSlug"] = "production",
            ["environmentType"] = "production",
            ["node"] = new JsonObject { ["id"] = site.NodeId.ToString(), ["hostname"] = "localhost", ["sshPort"] = 22, ["sshUser"] = "root" },
            ["environmentUrl"] = world.Server.Url.ToString(),
            ["release"] = new JsonObject { ["id"] = release.Id.ToString(), ["path"] = release.Path },
            ["completedAt"] = DateTimeOffset.UtcNow.ToString("O"),
        };
        if (previous is not null)
        {
            json["previousRelease"] = new JsonObject { ["id"] = previous.Id.ToString(), ["path"] = previous.Path };
        }

        change?.Invoke(json);
        return json.ToJsonString();
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Pressluft.Testing;
using RabbitMQ.Client;

namespace Pressluft.Faults;

/// <summary>
/// The services the suite runs against: the PostgreSQL and RabbitMQ that <c>scripts/postgres.sh</c> and
/// <c>scripts/rabbitmq.sh</c> started (the same variables the tests read), the scripts themselves to stop and restart
/// them, and the built <c>pressluft</c> binary.
/// </summary>
internal sealed class Stack
{
    public Stack()
    {
        Postgres = Required(TestDatabase.PostgresVariable);
        Rabbit = new Uri(Required("PRESSLUFT_TEST_RABBITMQ"));
        Management = new Uri(Required("PRESSLUFT_TEST_RABBITMQ_MANAGEMENT"));
        Binary = Environment.GetEnvironmentVariable("PRESSLUFT_FAULTS_BINARY") is { Length: > 0 } binary
            ? binary
            : Path.Combine(Repository.Root, "Pressluft.Runner", "bin", "Release", "net10.0", "pressluft");
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} does not exist: build first (dotnet build Pressluft.sln -c Release)");
        }
    }

    public string Postgres { get; }
    public Uri Rabbit { get; }
    public Uri Management { get; }
    public string Binary { get; }

    public HttpClient ManagementClient()
    {
        var client = new HttpClient { BaseAddress = Management, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(Rabbit.UserInfo))));
        return client;
    }

    /// <summary>A vhost of its own for one scenario, so its queues count only its own messages.</summary>
    public async Task<Uri> CreateVhostAsync(string vhost)
    {
        using var management = ManagementClient();
        (await management.PutAsync($"api/vhosts/{vhost}", null)).EnsureSuccessStatusCode();
        var user = Uri.UnescapeDataString(Rabbit.UserInfo).Split(':')[0];
        using var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await management.PutAsync($"api/permissions/{vhost}/{user}", permissions)).EnsureSuccessStatusCode();
        return new UriBuilder(Rabbit) { Path = "/" + vhost }.Uri;
    }

    public async Task DeleteVhostAsync(string vhost)
    {
        try
        {
            using var management = ManagementClient();
            await management.DeleteAsync($"api/vhosts/{vhost}");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            // Best effort: a vhost left behind on a throwaway broker is harmless.
        }
    }

    /// <summary>The names of a vhost's queues (known at once, unlike their counts).</summary>
    public async Task<List<string>> QueueNamesAsync(string vhost)
    {
        using var management = ManagementClient();
        var json = JsonNode.Parse(await management.GetStringAsync($"api/queues/{vhost}"))!.AsArray();
        return json.Select(q => q!["name"]!.GetValue<string>()).ToList();
    }

    /// <summary>Queues of a vhost with their message counts; null while the broker does not answer or has not counted them yet.</summary>
    public async Task<Dictionary<string, long>?> QueueDepthsAsync(string vhost)
    {
        try
        {
            using var management = ManagementClient();
            var json = JsonNode.Parse(await management.GetStringAsync($"api/queues/{vhost}"))!.AsArray();
            // Just after a restart the broker lists its queues before it has counted them: no count is not zero.
            if (json.Any(q => q!["messages"] is null))
            {
                return null;
            }

            return json.ToDictionary(q => q!["name"]!.GetValue<string>(), q => q!["messages"]!.GetValue<long>());
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public async Task<bool> HasBindingsAsync(string vhost, string exchange)
    {
        try
        {
            using var management = ManagementClient();
            var response = await management.GetAsync($"api/exchanges/{vhost}/{exchange}/bindings/source");
            return response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Count > 0;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Publishes plain JSON as a publisher that is not MassTransit does, with publisher confirms; retries until the
    /// broker confirms (a publisher keeps what it could not hand over), so a confirmed message is one the service owes a gate.
    /// </summary>
    public static async Task PublishAsync(Uri vhostUrl, string exchange, string body, TimeSpan within, Guid? messageId = null, string contentType = "application/json")
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                var factory = new ConnectionFactory { Uri = vhostUrl, RequestedConnectionTimeout = TimeSpan.FromSeconds(3) };
                await using var connection = await factory.CreateConnectionAsync();
                await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
                var properties = new BasicProperties
                {
                    ContentType = contentType,
                    MessageId = (messageId ?? Guid.NewGuid()).ToString(),
                    DeliveryMode = DeliveryModes.Persistent,
                };
                await channel.BasicPublishAsync(exchange, "", mandatory: false, properties, Encoding.UTF8.GetBytes(body));
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>Runs one of the service scripts (stop, start, restart) with this suite's ports; throws when it fails.</summary>
    public static async Task ScriptAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(Repository.Root, "scripts", script))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/{script} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}{await output}");
        }
    }

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run ./build.sh --target=Faults, which starts PostgreSQL and RabbitMQ");
}

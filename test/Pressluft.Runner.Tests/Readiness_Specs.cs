using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Runner.Tests;

/// <summary>
/// /health/ready follows the ledger: a PostgreSQL cluster of this test's own (scripts/postgres.sh on a free port, so the
/// suite's shared server keeps running) is stopped under a running service.
/// </summary>
[NonParallelizable]
public sealed class When_postgresql_stops_under_a_running_service
{
    [Test]
    public async Task Should_turn_ready_unhealthy_and_name_the_ledger()
    {
        var services = Directory.CreateTempSubdirectory("pressluft-pg-").FullName;
        var port = Ports.Free();
        var connectionString = (await Script("start", services, port)).Trim();
        var http = Ports.Free();
        try
        {
            using var host = RunnerHost.CreateBuilder(new Dictionary<string, string?>
            {
                ["Pressluft:Ledger:Provider"] = "Postgres",
                ["Pressluft:Ledger:ConnectionString"] = connectionString,
                ["Pressluft:Http:Url"] = $"http://127.0.0.1:{http}",
                ["Serilog:MinimumLevel:Default"] = "Fatal",
            }).Build();
            await host.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}/") };

            using var before = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
            await Script("stop", services, port);
            using var after = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
            using var live = await client.GetAsync(new Uri("health/live", UriKind.Relative));
            var body = JsonDocument.Parse(await after.Content.ReadAsStringAsync()).RootElement;
            var ledger = body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "pressluft-ledger");
            await host.StopAsync(TimeSpan.FromSeconds(30));

            Assert.Multiple(() =>
            {
                Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
                Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
                Assert.That(ledger.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
                Assert.That(ledger.GetProperty("description").GetString(), Does.Contain($"127.0.0.1:{port}"));
                Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the process itself is still alive");
            });
        }
        finally
        {
            await Script("stop", services, port);
            Directory.Delete(services, recursive: true);
        }
    }

    private static async Task<string> Script(string verb, string services, int port)
    {
        var start = new ProcessStartInfo(Path.Combine(Repository.Root, "scripts", "postgres.sh")) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(verb);
        if (verb == "start")
        {
            start.ArgumentList.Add("--fsync");
            start.ArgumentList.Add("off");
        }

        start.Environment["PRESSLUFT_SERVICES_DIR"] = services;
        start.Environment["PRESSLUFT_PG_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"postgres.sh {verb} exited {process.ExitCode}: {await error}");
    }
}

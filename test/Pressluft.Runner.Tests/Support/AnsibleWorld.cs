using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Bus;
using Pressluft.Runner.Demo;

namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// A node on this machine for real ansible-playbook runs: a sites root in a temp folder with one site (real
/// <c>releases/</c> and <c>current</c> symlink), a local HTTP server serving <c>current</c>, and the stand-in WP-CLI.
/// </summary>
public sealed class AnsibleWorld : IAsyncDisposable
{
    private AnsibleWorld(string root)
    {
        Root = root;
        SitesRoot = Path.Combine(root, "sites");
        Directory.CreateDirectory(SitesRoot);
        Site = new LocalSite(SitesRoot);
        Directory.CreateDirectory(Site.SitePath);
        WpCliPath = StandInWpCli.Write(root);
        Server = LocalSiteServer.Start(Site.SitePath);
    }

    public string Root { get; }
    public string SitesRoot { get; }
    public LocalSite Site { get; }
    public string WpCliPath { get; }
    public LocalSiteServer Server { get; }

    public static AnsibleWorld Create() => new(Directory.CreateTempSubdirectory("pressluft-ansible-").FullName);

    /// <summary>Runner settings for a local node; <paramref name="overrides"/> win.</summary>
    public IConfigurationRoot Configuration(IDictionary<string, string?>? overrides = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Pressluft:Ansible:Connection"] = "local",
            ["Pressluft:Ansible:SitesRoot"] = SitesRoot,
            ["Pressluft:Ansible:WpCliPath"] = WpCliPath,
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "5",
            ["Pressluft:Ansible:CheckRetryDelaySeconds"] = "0",
            ["Pressluft:Ansible:HealthCheckPlaybookTimeout"] = "00:01:00",
            ["Pressluft:Ansible:RollbackPlaybookTimeout"] = "00:01:00",
            ["Pressluft:Ledger:Provider"] = "Sqlite",
            ["Pressluft:Ledger:ConnectionString"] = $"Data Source={Path.Combine(Root, "ledger.db")}",
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:01:30",
            ["Pressluft:HealthGate:RollbackDeadline"] = "00:01:30",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    /// <summary>A test harness around the given consumers or endpoints, with the runner's services (and <paramref name="services"/>).</summary>
    public async Task<ServiceProvider> StartHarnessAsync(Action<IBusRegistrationConfigurator> endpoints, IDictionary<string, string?>? overrides = null,
        Action<IServiceCollection>? services = null)
    {
        var configuration = Configuration(overrides);
        var collection = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddPressluftRunnerForTests(configuration)
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testTimeout: TimeSpan.FromSeconds(90), testInactivityTimeout: TimeSpan.FromSeconds(30));
                endpoints(x);
                // As the service's in-memory bus: the scheduler deadlines go through, the registered endpoints, and
                // mutation-intake when the gate is among them.
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UseDelayedMessageScheduler();
                    cfg.ConfigureGateEndpoints(context);
                });
            });
        services?.Invoke(collection);
        var provider = collection.BuildServiceProvider(validateScopes: true);
        await provider.GetRequiredService<ITestHarness>().Start();
        return provider;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

internal static class TestRegistration
{
    public static IServiceCollection AddPressluftRunnerForTests(this IServiceCollection services, IConfiguration configuration) =>
        Hosting.RunnerRegistration.AddPressluftRunner(services, configuration);
}

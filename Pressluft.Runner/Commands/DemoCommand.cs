using System.ComponentModel;
using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Demo;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>
/// Runs the whole gate on this machine, on the embedded default (in-memory bus, SQLite): a site with a healthy and a
/// broken release under a temp folder, served over local HTTP; a deploy of the broken release is checked by the real
/// health-check playbook, rolled back by the real rollback playbook, checked again, and the ledger is printed.
/// </summary>
public sealed class DemoCommand(IAnsiConsole console) : AsyncCommand<DemoCommand.Settings>
{
    public sealed class Settings : PressluftSettings
    {
        [CommandOption("--work-dir <DIR>")]
        [Description("Folder for the demo's sites and SQLite ledger (default: a new temp folder).")]
        public string? WorkDirectory { get; init; }

        [CommandOption("--keep")]
        [Description("Keep the work folder afterwards, to look at the releases, marker file and ledger.")]
        public bool Keep { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var workDirectory = settings.WorkDirectory is { } requested
            ? Directory.CreateDirectory(requested).FullName
            : Directory.CreateTempSubdirectory("pressluft-demo-").FullName;
        try
        {
            console.Write(new Rule("[bold]Pressluft release gate demo[/] (in-memory bus, SQLite, real ansible-playbook)").LeftJustified());
            var site = new LocalSite(Path.Combine(workDirectory, "sites"));
            Directory.CreateDirectory(site.SitePath);
            var wpCli = StandInWpCli.Write(workDirectory);
            await using var server = LocalSiteServer.Start(site.SitePath);
            var healthy = site.AddRelease("release-1", body: "<h1>Shop</h1><p>All good.</p>");
            var broken = site.AddRelease("release-2", httpStatus: 500, body: "<b>Fatal error</b>: Uncaught Error: Call to undefined function shop_cart()");
            console.MarkupLineInterpolated($"work folder [blue]{workDirectory}[/]; site {site.SiteId} served at [blue]{server.Url}[/]");

            using var host = BuildHost(workDirectory, site, wpCli, settings.Verbose);
            await host.StartAsync(cancellationToken);
            var progress = host.Services.GetRequiredService<DemoProgress>();
            var bus = host.Services.GetRequiredService<IBus>();

            console.Write(new Rule("1. deploy release-1 (healthy)").LeftJustified());
            site.MakeCurrent(healthy);
            var first = Mutation(site, server, healthy, previous: null);
            await bus.Publish(first, cancellationToken);
            var firstGate = await progress.FollowAsync(first.MutationJobId, TimeSpan.FromMinutes(3), cancellationToken);

            console.Write(new Rule("2. deploy release-2 (answers HTTP 500)").LeftJustified());
            site.MakeCurrent(broken);
            var second = Mutation(site, server, broken, previous: healthy);
            await bus.Publish(second, cancellationToken);
            var secondGate = await progress.FollowAsync(second.MutationJobId, TimeSpan.FromMinutes(5), cancellationToken);

            console.Write(new Rule("Final state").LeftJustified());
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var history = await LedgerQueries.HistoryAsync(scope.ServiceProvider.GetRequiredService<PressluftDbContext>(), site.EnvironmentId, cancellationToken);
                LedgerTables.History(console, history!);
            }

            using var http = new HttpClient();
            var live = await http.GetAsync(server.Url, cancellationToken);
            console.MarkupLineInterpolated($"current -> [bold]{Path.GetFileName(site.CurrentTarget)}[/]; GET {server.Url} answers [bold]{(int)live.StatusCode}[/]");
            var marker = Path.Combine(broken.Path, ".pressluft-rolled-back");
            if (File.Exists(marker))
            {
                console.MarkupLineInterpolated($"marker in release-2: [grey]{await File.ReadAllTextAsync(marker, cancellationToken)}[/]");
            }

            await host.StopAsync(CancellationToken.None);
            var succeeded = firstGate.Outcome == GateOutcomes.Passed && secondGate.Outcome == GateOutcomes.RolledBack
                && site.CurrentTarget == healthy.Path;
            console.MarkupLine(succeeded
                ? $"[green]demo finished[/] in {stopwatch.Elapsed.TotalSeconds:0.0} s"
                : $"[red]demo did not end as expected[/] (gates: {Markup.Escape(firstGate.Outcome)}, {Markup.Escape(secondGate.Outcome)}) in {stopwatch.Elapsed.TotalSeconds:0.0} s");
            return succeeded ? 0 : 1;
        }
        finally
        {
            if (settings.Keep || settings.WorkDirectory is not null)
            {
                console.MarkupLineInterpolated($"kept [blue]{workDirectory}[/]");
            }
            else
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(workDirectory, recursive: true);
            }
        }
    }

    private IHost BuildHost(string workDirectory, LocalSite site, string wpCli, bool verbose)
    {
        var builder = RunnerHost.CreateBuilder(new Dictionary<string, string?>
        {
            // Always the embedded default, whatever the environment configures.
            ["Pressluft:Transport:Kind"] = nameof(TransportKind.InMemory),
            ["Pressluft:Ledger:Provider"] = nameof(LedgerProvider.Sqlite),
            ["Pressluft:Ledger:ConnectionString"] = $"Data Source={Path.Combine(workDirectory, "pressluft-demo.db")}",
            ["Pressluft:Ledger:MigrateOnStart"] = "true",

            // The demo is self-contained: it does not take the service's HTTP address.
            ["Pressluft:Http:Enabled"] = "false",
            ["Pressluft:Ansible:Connection"] = "local",
            ["Pressluft:Ansible:SitesRoot"] = site.SitesRoot,
            ["Pressluft:Ansible:WpCliPath"] = wpCli,
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "5",
            ["Pressluft:Ansible:CheckRetryDelaySeconds"] = "0",
            ["Pressluft:HealthGate:InconclusiveRetryDelay"] = "00:00:01",
            ["Serilog:MinimumLevel:Default"] = verbose ? "Information" : "Warning",
            ["Serilog:MinimumLevel:Override:MassTransit"] = "Warning",
        }, x => x.AddConsumer<DemoNarrator>());
        builder.Services.AddSingleton(console);
        builder.Services.AddSingleton<DemoProgress>();
        return builder.Build();
    }

    private static MutationCompleted Mutation(LocalSite site, LocalSiteServer server, ReleaseRef release, ReleaseRef? previous) => new()
    {
        MutationJobId = NewId.NextGuid(),
        JobType = JobTypes.EnvDeploy,
        SiteId = site.SiteId,
        SiteSlug = "shop",
        EnvironmentId = site.EnvironmentId,
        EnvironmentSlug = "production",
        EnvironmentType = "production",
        Node = site.Node,
        EnvironmentUrl = server.Url.ToString(),
        Release = release,
        PreviousRelease = previous,
        CompletedAt = DateTimeOffset.UtcNow,
    };
}

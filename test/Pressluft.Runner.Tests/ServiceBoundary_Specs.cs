using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Tests.Support;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Pressluft.Runner.Tests;

public sealed class When_the_service_starts_with_a_typo_in_the_guarded_config
{
    [TestCase("Disable")]
    [TestCase("Reportonly")]
    public async Task Should_exit_with_an_error_naming_the_key(string typo)
    {
        await using var world = await ServiceWorld.CreateAsync();
        using var process = world.StartChildProcess(new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:Operations:env_restore:Mode"] = typo,
            ["Serilog:MinimumLevel:Default"] = "Information",
        });
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var exited = true;
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            exited = false;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var text = await output + await error;
        Assert.Multiple(() =>
        {
            Assert.That(exited, Is.True, "the service started with a bad guarded-config value");
            Assert.That(process.ExitCode, Is.Not.Zero);
            Assert.That(text, Does.Contain("Pressluft:HealthGate:Operations:env_restore:Mode").And.Contain($"'{typo}'"));
        });
    }
}

public sealed class When_a_mutation_carries_a_token_in_its_url
{
    // The token would be a secret of the tenant (a preview link's access key). The service must still use it for the
    // check, but never write it down: not in its logs (at Debug, playbook output included), not in the ledger.
    [Test]
    public async Task Should_keep_it_out_of_logs_and_ledger_through_a_whole_rollback()
    {
        const string Token = "tok3n-3xtra-s3cret";
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var good = site.AddRelease("r1");
        var broken = site.AddRelease("r2", httpStatus: 500);
        site.MakeCurrent(broken);
        using var process = world.StartChildProcess(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Debug" });
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var mutationJobId = Guid.NewGuid();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await world.HasBindingsAsync("pressluft.mutation-completed") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            await world.PublishPlainJsonAsync("pressluft.mutation-completed", ServiceWorld.MutationJson(world.Ansible, mutationJobId, site, broken, good,
                j => j["environmentUrl"] = $"{world.Ansible.Server.Url}?access_token={Token}"));
            var gate = await world.WaitForGateAsync(mutationJobId, TimeSpan.FromMinutes(2));
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        var logs = await output + await error;
        var ledger = await world.QueryAsync(async db => string.Join("\n",
            (await db.Environments.AsNoTracking().Select(e => e.PreviewUrl).ToListAsync())
            .Concat(await db.Jobs.AsNoTracking().Select(j => j.PayloadJson + j.ErrorMessage + j.ErrorJson).ToListAsync())
            .Concat(await db.EnvironmentStatusChanges.AsNoTracking().Select(c => c.Reason).ToListAsync())
            .Concat(await db.ReleaseHealthTransitions.AsNoTracking().Select(c => c.Reason).ToListAsync())
            .Concat(await db.Gates.AsNoTracking().Select(g => g.Reason).ToListAsync())));
        Assert.Multiple(() =>
        {
            Assert.That(logs, Does.Contain("health-check.yml"), "the logs hold nothing of the run; the check below would prove nothing");
            Assert.That(logs, Does.Not.Contain(Token), "a log line holds the token");
            Assert.That(ledger, Does.Contain("access_token=***"), "the ledger lost the URL instead of redacting it");
            Assert.That(ledger, Does.Not.Contain(Token), "the ledger holds the token");
        });
    }
}

public sealed class When_the_service_starts_after_a_runner_was_killed_mid_job
{
    [Test]
    public async Task Should_remove_the_dead_runners_job_folders_and_keep_live_ones()
    {
        await using var world = AnsibleWorld.Create();
        var jobs = Path.Combine(world.Root, "jobs");
        var settings = world.Configuration(new Dictionary<string, string?> { ["Pressluft:Ansible:JobsDirectory"] = jobs })
            .AsEnumerable().ToDictionary(p => p.Key, p => p.Value);
        using var finished = Process.Start("true")!;
        await finished.WaitForExitAsync();
        var root = JobFolders.Root(new AnsibleOptions { JobsDirectory = jobs });
        var leftover = Directory.CreateDirectory(Path.Combine(root, $"{finished.Id}-{Guid.NewGuid():N}-abc")).FullName;
        await File.WriteAllTextAsync(Path.Combine(leftover, "extra-vars.yml"), "---\n");
        var live = Directory.CreateDirectory(Path.Combine(root, $"{System.Environment.ProcessId}-{Guid.NewGuid():N}-def")).FullName;

        using var host = RunnerHost.CreateBuilder(settings).Build();
        await host.StartAsync();
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(Directory.Exists(leftover), Is.False, "the killed runner's job folder is still there");
            Assert.That(Directory.Exists(live), Is.True, "a live runner's job folder was removed");
            Assert.That(File.GetUnixFileMode(root), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        });
    }
}

public sealed class When_the_service_is_configured_by_default
{
    [Test]
    public void Should_not_report_usage_to_masstransit()
    {
        using var host = RunnerHost.CreateBuilder(new Dictionary<string, string?>()).Build();

        Assert.That(host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled, Is.False);
    }

    [Test]
    public void Should_report_usage_only_when_turned_on()
    {
        using var host = RunnerHost.CreateBuilder(new Dictionary<string, string?> { ["Pressluft:Transport:MassTransitUsageTelemetry"] = "true" }).Build();

        Assert.That(host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled, Is.True);
    }
}

public sealed class The_log_redaction
{
    [Test]
    public void Should_mask_secrets_in_every_property_before_a_sink_sees_them()
    {
        var sink = new CollectingSink();
        using (var logger = new LoggerConfiguration().Enrich.With<SecretRedactionEnricher>().WriteTo.Sink(sink).CreateLogger())
        {
            logger.Information("Checking {Url} with {Headers} for {Site}",
                "https://shop.example.test/?token=abc123", new[] { "Authorization: Bearer eyJ.x.y" }, "shop");
        }

        var rendered = sink.Events.Single().RenderMessage();
        Assert.Multiple(() =>
        {
            Assert.That(rendered, Does.Not.Contain("abc123").And.Not.Contain("eyJ.x.y"));
            Assert.That(rendered, Does.Contain("token=***").And.Contain("shop"));
        });
    }

    private sealed class CollectingSink : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent) => Events.Add(logEvent);
    }
}

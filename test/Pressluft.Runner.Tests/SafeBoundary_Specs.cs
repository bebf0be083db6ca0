using System.Diagnostics;
using System.Text.Json;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>
/// An attacker controls a value that reaches a playbook (a publisher's field, the configuration). Each value here holds
/// Jinja2 that would create a marker file on the runner host if Ansible ever rendered it; the real playbook runs with it
/// and the marker must not appear. The consumers' field rules would refuse most of these values first: these runs go
/// straight to the runner, to prove the values are data even where no rule stands in front of Ansible.
/// </summary>
public sealed class When_a_value_reaching_a_playbook_holds_a_template
{
    private static IEnumerable<TestCaseData> HealthCheckValues()
    {
        foreach (var name in new[] { "release_path", "site_slug", "environment_slug", "environment_type", "node_hostname", "node_ssh_user", "job_id", "site_id", "environment_id", "wp_cli_path" })
        {
            yield return new TestCaseData(name, "{value}{payload}").SetName($"health-check.yml {name}");
        }

        yield return new TestCaseData("health_check_url", "{value}release/{payload}").SetName("health-check.yml health_check_url (path)");
        yield return new TestCaseData("health_check_url", "{value}?q={payload}").SetName("health-check.yml health_check_url (query)");
    }

    private static IEnumerable<TestCaseData> RollbackValues()
    {
        foreach (var name in new[] { "release_path", "rollback_from_path", "site_id", "sites_root", "site_slug", "environment_slug", "rollback_reason_code", "rollback_job_id", "rollback_mutation_job_id", "rollback_fastcgi_cache_path" })
        {
            yield return new TestCaseData(name, "{value}{payload}").SetName($"release-rollback.yml {name}");
        }

        yield return new TestCaseData("rollback_reload_services", "{payload}").SetName("release-rollback.yml rollback_reload_services (an item)");
    }

    [TestCaseSource(nameof(HealthCheckValues))]
    public async Task Should_run_the_health_check_without_rendering_it(string name, string shape)
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(_ => { });
        var variables = PlaybookRuns.HealthCheckVariables(world, release.Path);
        var markers = new TemplatePayload(world.Root);
        variables[name] = markers.Into(shape, variables[name]);

        var outcome = await PlaybookRuns.HealthCheckAsync(provider, world, variables);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.Not.Null, "ansible-playbook did not run to an end");
            Assert.That(outcome.ErrorCode, Is.Not.EqualTo(ErrorCodes.AnsibleSyntaxError));
            markers.AssertNoneCreated();
        });
    }

    [TestCaseSource(nameof(RollbackValues))]
    public async Task Should_run_the_rollback_without_rendering_it(string name, string shape)
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        await using var provider = await world.StartHarnessAsync(_ => { });
        var variables = PlaybookRuns.RollbackVariables(world, broken.Path, good.Path);
        var markers = new TemplatePayload(world.Root);
        variables[name] = name == "rollback_reload_services" ? new[] { markers.Into(shape, "") } : markers.Into(shape, variables[name]);

        var outcome = await PlaybookRuns.RollbackAsync(provider, world, variables);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.ExitCode, Is.Not.Null, "ansible-playbook did not run to an end");
            Assert.That(outcome.ErrorCode, Is.Not.EqualTo(ErrorCodes.AnsibleSyntaxError));
            markers.AssertNoneCreated();
        });
    }

    // The control: the same payload handed to Ansible the way the runner used to (a plain JSON extra-vars file) runs,
    // so the marker check above is able to see a rendered template.
    [Test]
    public async Task Should_detect_a_rendered_template_when_a_value_is_passed_as_plain_json()
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2", httpStatus: 500);
        world.Site.MakeCurrent(broken);
        var markers = new TemplatePayload(world.Root);
        var variables = PlaybookRuns.RollbackVariables(world, broken.Path, good.Path);
        variables["rollback_job_id"] = markers.Into("{payload}", "");
        variables["rollback_result_path"] = Path.Combine(world.Root, "result.json");
        var extraVars = Path.Combine(world.Root, "plain.json");
        await File.WriteAllTextAsync(extraVars, JsonSerializer.Serialize(variables));
        var inventory = Path.Combine(world.Root, "inventory.ini");
        await File.WriteAllTextAsync(inventory, $"[target]\nnode ansible_connection=local ansible_host=localhost ansible_user={world.Site.Node.SshUser}\n");
        var ansible = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "ansible"));

        var start = new ProcessStartInfo("ansible-playbook") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-i", inventory, "-e", "@" + extraVars, Path.Combine(ansible, "playbooks", "release-rollback.yml") })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ANSIBLE_CONFIG"] = Path.Combine(ansible, "ansible.cfg");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));

        Assert.That(markers.AnyCreated, Is.True, $"the payload did not run even as plain JSON; the marker check proves nothing:\n{await output}");
    }
}

/// <summary>
/// A tenant's site prints Jinja2 into what the checks read back: WP-CLI's output, the HTTP body, headers and status
/// line. The whole gate runs (check, failure, rollback, re-check) with the real playbooks; the text travels through the
/// check's detail, the job error and the rollback, and must never run.
/// </summary>
public sealed class When_a_tenant_site_prints_a_template
{
    private static IEnumerable<TestCaseData> Outputs()
    {
        yield return new TestCaseData("wp", (Action<string, string>)((release, payload) =>
        {
            File.WriteAllText(Path.Combine(release, ".wp-says"), payload);
            File.WriteAllText(Path.Combine(release, ".wp-broken"), "");
        })).SetName("on stdout and stderr of wp core is-installed");
        yield return new TestCaseData("db", (Action<string, string>)((release, payload) =>
        {
            File.WriteAllText(Path.Combine(release, ".wp-says"), payload);
            File.WriteAllText(Path.Combine(release, ".db-broken"), "");
        })).SetName("on stdout and stderr of wp db query");
        yield return new TestCaseData("body", (Action<string, string>)((release, payload) =>
            File.WriteAllText(Path.Combine(release, "index.html"), $"<b>Fatal error</b>: {payload}"))).SetName("in the HTTP body");
        yield return new TestCaseData("headers", (Action<string, string>)((release, payload) =>
        {
            File.WriteAllText(Path.Combine(release, ".status"), "500");
            File.WriteAllText(Path.Combine(release, ".reason"), payload);
            File.WriteAllText(Path.Combine(release, ".headers"), $"X-Plugin: {payload}\nLocation: /{payload}\n");
        })).SetName("in the HTTP status line and headers");
    }

    [TestCaseSource(nameof(Outputs))]
    public async Task Should_treat_it_as_data_through_the_check_and_the_rollback(string kind, Action<string, string> printInto)
    {
        await using var world = AnsibleWorld.Create();
        var good = world.Site.AddRelease("r1");
        var broken = world.Site.AddRelease("r2");
        var markers = new TemplatePayload(world.Root);
        printInto(broken.Path, markers.Into("{payload}", ""));
        world.Site.MakeCurrent(broken);
        await using var provider = await world.StartHarnessAsync(x => x.AddPressluftEndpoints(),
            new Dictionary<string, string?> { ["Pressluft:Ansible:FatalMarkerCheck"] = "true" });
        await provider.MigrateLedgerAsync();
        var harness = provider.GetRequiredService<ITestHarness>();
        var mutation = new MutationCompleted
        {
            MutationJobId = Guid.NewGuid(),
            JobType = JobTypes.EnvDeploy,
            SiteId = world.Site.SiteId,
            EnvironmentId = world.Site.EnvironmentId,
            Node = world.Site.Node,
            EnvironmentUrl = world.Server.Url.ToString(),
            Release = broken,
            PreviousRelease = good,
            CompletedAt = DateTimeOffset.UtcNow,
        };

        await harness.Bus.Publish(mutation);
        var gate = await WaitForGateAsync(provider, mutation.MutationJobId);

        var firstCheck = await Query(provider, db => db.Jobs.AsNoTracking().Where(j => j.JobType == JobTypes.HealthCheck).OrderBy(j => j.CreatedAt).FirstAsync());
        var rolledBack = Path.Combine(broken.Path, ".pressluft-rolled-back");
        Assert.Multiple(() =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack), $"{kind}: the gate did not roll the failing release back");
            Assert.That(world.Site.CurrentTarget, Is.EqualTo(good.Path));
            markers.AssertNoneCreated();
            Assert.That(File.ReadAllText(rolledBack), Does.Contain("\"reasonCode\": \"HEALTH_CHECK_FAILED\"").And.Not.Contain("lookup"),
                "the rollback marker holds a code, not text from the node");
            if (kind is "wp" or "db")
            {
                Assert.That(firstCheck.ErrorMessage, Does.Contain("lookup('pipe'"), "the node's words reach the ledger as text");
            }
        });
    }

    private static async Task<GateRecord> WaitForGateAsync(IServiceProvider provider, Guid mutationJobId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var gate = await Query(provider, db => db.Gates.AsNoTracking().SingleOrDefaultAsync(g => g.MutationJobId == mutationJobId));
            if (gate?.Outcome is not null)
            {
                return gate;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the gate of {mutationJobId} did not end");
    }

    private static async Task<T> Query<T>(IServiceProvider provider, Func<PressluftDbContext, Task<T>> query)
    {
        await using var scope = provider.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PressluftDbContext>());
    }
}

/// <summary>
/// A site that answers with something that is not HTTP: the health check quotes the broken status line in the check's
/// detail (a measurement, and a wrong one). The quote is text; it never runs.
/// </summary>
public sealed class When_a_site_answers_a_status_line_holding_a_template
{
    [Test]
    public async Task Should_quote_it_in_the_detail_as_data()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var markers = new TemplatePayload(world.Root);
        await using var site = new Support.RawHttpServer([$"HTTP/1.1 2{markers.Text}", ""], TimeSpan.FromMilliseconds(10), repeatLast: false);
        await using var provider = await world.StartHarnessAsync(_ => { });
        var variables = PlaybookRuns.HealthCheckVariables(world, release.Path);
        variables["health_check_url"] = site.Url.ToString();

        var outcome = await PlaybookRuns.HealthCheckAsync(provider, world, variables);

        var http = PlaybookRuns.Check(outcome, CheckNames.Http)!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(http.GetProperty("outcome").GetString(), Is.EqualTo(CheckOutcomes.Failed));
            Assert.That(http.GetProperty("detail").GetString(), Does.Contain("not an HTTP answer").And.Contain("lookup('pipe'"));
            markers.AssertNoneCreated();
        });
    }
}

/// <summary>
/// Jinja2 in both forms (an expression and a statement), each creating its own marker file when rendered.
/// </summary>
internal sealed class TemplatePayload(string directory)
{
    private readonly string _expression = Path.Combine(directory, $"rendered-expression-{Guid.NewGuid():N}");
    private readonly string _statement = Path.Combine(directory, $"rendered-statement-{Guid.NewGuid():N}");

    public string Text => $"{{{{ lookup('pipe', 'touch {_expression}') }}}}{{% if lookup('pipe', 'touch {_statement}') %}}{{% endif %}}";

    public bool AnyCreated => File.Exists(_expression) || File.Exists(_statement);

    /// <summary>The shape with <c>{value}</c> replaced by the legitimate value and <c>{payload}</c> by the templates.</summary>
    public string Into(string shape, object? value) =>
        shape.Replace("{value}", value?.ToString() ?? "", StringComparison.Ordinal).Replace("{payload}", Text, StringComparison.Ordinal);

    public void AssertNoneCreated()
    {
        Assert.That(File.Exists(_expression), Is.False, $"a {{{{ }}}} template ran on the runner host ({_expression} exists)");
        Assert.That(File.Exists(_statement), Is.False, $"a {{% %}} template ran on the runner host ({_statement} exists)");
    }
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>The service on RabbitMQ and PostgreSQL, fed by a publisher that is not MassTransit.</summary>
public sealed class When_a_broken_deploy_is_published_as_plain_json_to_rabbitmq
{
    [Test]
    public async Task Should_check_roll_back_and_re_check_it()
    {
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var good = site.AddRelease("r1");
        var broken = site.AddRelease("r2", httpStatus: 500);
        site.MakeCurrent(broken);
        await world.StartInProcessAsync();
        var mutationJobId = Guid.NewGuid();

        // Like a minimal client: plain JSON, no message id, and the same event published twice.
        var json = ServiceWorld.MutationJson(world.Ansible, mutationJobId, site, broken, good);
        await world.PublishPlainJsonAsync("pressluft.mutation-completed", json, withMessageId: false);
        await world.PublishPlainJsonAsync("pressluft.mutation-completed", json, withMessageId: false);
        var gate = await world.WaitForGateAsync(mutationJobId, TimeSpan.FromMinutes(2));

        var environment = await world.QueryAsync(db => db.Environments.AsNoTracking().SingleAsync());
        var releases = await world.QueryAsync(db => db.Releases.AsNoTracking().ToDictionaryAsync(r => r.Id, r => r.HealthStatus));
        var jobs = await world.QueryAsync(db => db.Jobs.AsNoTracking().OrderBy(j => j.CreatedAt).ToListAsync());
        var queues = await world.QueueDepthsAsync();
        // The saga listens on mutation-intake too, for mutations only: none of its other events may be routed there.
        var intakeSources = await world.SourcesBoundToAsync("mutation-intake");
        var intakeQueueSources = await world.ExchangesBoundToQueueAsync("mutation-intake");
        Assert.Multiple(() =>
        {
            Assert.That(intakeSources, Is.EqualTo(new[] { "pressluft.mutation-completed" }), "what is bound to the exchange mutation-intake");
            Assert.That(intakeQueueSources, Is.EqualTo(new[] { "mutation-intake" }), "what is bound to the queue mutation-intake");
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckFailed));
            Assert.That(releases[broken.Id], Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That(releases[good.Id], Is.EqualTo(ReleaseHealth.Healthy));
            Assert.That(environment.Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(environment.CurrentReleaseId, Is.EqualTo(good.Id));
            Assert.That(site.CurrentTarget, Is.EqualTo(good.Path));
            Assert.That(jobs.Select(j => (j.JobType, j.Status, j.ErrorCode)), Is.EqualTo(new[]
            {
                (JobTypes.HealthCheck, JobStatuses.Failed, (string?)ErrorCodes.HealthCheckFailed),
                (JobTypes.ReleaseRollback, JobStatuses.Succeeded, (string?)null),
                (JobTypes.HealthCheck, JobStatuses.Succeeded, (string?)null),
            }));
            Assert.That(queues.Keys, Is.SupersetOf(new[] { "mutation-intake", "release-lifecycle", "health-check", "release-rollback" }), "kebab-case endpoint queues");
            Assert.That(queues.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Value), Is.Zero);
        });
        Assert.That(await world.QueryAsync(db => db.Gates.CountAsync()), Is.EqualTo(1), "the duplicate was gated again");
    }
}

public sealed class When_bad_input_is_published
{
    private static IEnumerable<TestCaseData> BadMessages()
    {
        yield return new TestCaseData("malformed JSON", (Func<string, string>)(_ => "{\"mutationJobId\": \"x\", "), "Expected start of a property name or value").SetName("malformed JSON");
        yield return new TestCaseData("bad id", Change(j => j["siteId"] = "not-a-uuid"), "not in a supported Guid format").SetName("an id that is not a UUID");
        yield return new TestCaseData("empty id", Change(j => j["environmentId"] = Guid.Empty.ToString()), "environmentId is empty").SetName("an empty id");
        yield return new TestCaseData("job type", Change(j => j["jobType"] = "env_update"), "job type 'env_update' is not gated").SetName("an unknown job type");
        yield return new TestCaseData("path", Change(j => j["release"]!["path"] = "/etc/passwd"), "is not a release directory of site").SetName("a release path outside the sites root");
        yield return new TestCaseData("climb", Change(j => j["release"]!["path"] = j["release"]!["path"]!.GetValue<string>() + "/../../../../etc"), "is not a release directory of site")
            .SetName("a release path that climbs out with ..");
        yield return new TestCaseData("scheme", Change(j => j["environmentUrl"] = "ftp://shop.example.test/"), "is not an absolute http or https URL").SetName("a URL that is not http or https");
        yield return new TestCaseData("oversized", Change(j => j["environmentSlug"] = new string('x', 10_000)), "environmentSlug is 10000 characters long").SetName("an oversized field");
    }

    private static Func<string, string> Change(Action<JsonObject> change) => json =>
    {
        var node = JsonNode.Parse(json)!.AsObject();
        change(node);
        return node.ToJsonString();
    };

    [TestCaseSource(nameof(BadMessages))]
    public async Task Should_end_in_the_error_queue_with_a_reason_and_change_nothing(string kind, Func<string, string> spoil, string reason)
    {
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var release = site.AddRelease("r1");
        site.MakeCurrent(release);
        await world.StartInProcessAsync();

        await world.PublishPlainJsonAsync("pressluft.mutation-completed", spoil(ServiceWorld.MutationJson(world.Ansible, Guid.NewGuid(), site, release, null)));

        List<(string Body, Dictionary<string, string> Headers)> errors = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (errors.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            if ((await world.QueueDepthsAsync()).GetValueOrDefault("mutation-intake_error") > 0)
            {
                errors = await world.DrainAsync("mutation-intake_error");
            }
        }

        Assert.That(errors, Has.Count.EqualTo(1), $"{kind}: the message did not land in mutation-intake_error");
        var headers = errors[0].Headers;
        Assert.Multiple(async () =>
        {
            Assert.That(headers.GetValueOrDefault("MT-Reason"), Is.Not.Null.And.Not.Empty, $"{kind}: no reason header");
            Assert.That(headers.GetValueOrDefault("MT-Fault-Message"), Does.Contain(reason), $"{kind}: the reason does not say why");
            Assert.That(await world.QueryAsync(db => db.Environments.CountAsync()), Is.Zero, $"{kind}: a ledger row was written");
            Assert.That(await world.QueryAsync(db => db.Jobs.CountAsync()), Is.Zero, $"{kind}: a job was queued");
            Assert.That(await world.QueryAsync(db => db.ReleaseLifecycleSagas.CountAsync()), Is.Zero, $"{kind}: a gate was started");
        });
    }
}

public sealed class When_the_runner_is_killed_in_the_middle_of_a_gate
{
    // KILL: nothing is handed back; RabbitMQ redelivers what was unacknowledged and the playbook runs again. TERM: the
    // host stops gracefully, letting the running playbook finish (past ConsumerStopTimeout it would cancel it and
    // hand the message back); whatever was left is picked up by the next runner.
    [TestCase("KILL")]
    [TestCase("TERM")]
    public async Task Should_finish_the_gate_once_with_the_right_outcome_after_a_restart(string signal)
    {
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var good = site.AddRelease("r1");
        var broken = site.AddRelease("r2", httpStatus: 500);
        File.WriteAllText(Path.Combine(broken.Path, ".wp-slow"), "4");
        site.MakeCurrent(broken);
        var mutationJobId = Guid.NewGuid();

        var first = world.StartChildProcess();
        try
        {
            await WaitUntilAsync(() => world.HasBindingsAsync("pressluft.mutation-completed"), "the runner to bind its intake to the exchange");
            await world.PublishPlainJsonAsync("pressluft.mutation-completed", ServiceWorld.MutationJson(world.Ansible, mutationJobId, site, broken, good));

            // Kill it while the health check playbook runs (the slow WP-CLI check keeps it busy for seconds).
            await WaitUntilAsync(async () => await world.TryQueryAsync(db => db.Jobs.AnyAsync(j => j.Status == JobStatuses.Running)), "the health check to run");
        }
        finally
        {
            if (signal == "KILL")
            {
                first.Kill(entireProcessTree: true);
            }
            else
            {
                using var term = Process.Start("kill", ["-TERM", first.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await term.WaitForExitAsync();
            }

            await first.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }

        var second = world.StartChildProcess();
        try
        {
            var gate = await world.WaitForGateAsync(mutationJobId, TimeSpan.FromMinutes(3));
            await WaitUntilAsync(async () => (await world.QueueDepthsAsync()).Where(q => !q.Key.EndsWith("_error", StringComparison.Ordinal)).All(q => q.Value == 0),
                "the queues to drain");

            var gates = await world.QueryAsync(db => db.Gates.AsNoTracking().ToListAsync());
            var rollbacks = await world.QueryAsync(db => db.Jobs.AsNoTracking().CountAsync(j => j.JobType == JobTypes.ReleaseRollback));
            var environment = await world.QueryAsync(db => db.Environments.AsNoTracking().SingleAsync());
            var queues = await world.QueueDepthsAsync();
            Assert.Multiple(() =>
            {
                Assert.That(first.ExitCode, signal == "KILL" ? Is.Not.Zero : Is.Zero, signal == "KILL" ? "the first runner was not killed" : "the first runner did not stop cleanly");
                Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.RolledBack));
                Assert.That(gates, Has.Count.EqualTo(1), "a gate was doubled");
                Assert.That(rollbacks, Is.EqualTo(1), "the rollback was requested twice");
                Assert.That(environment.Status, Is.EqualTo(EnvironmentStatuses.Active));
                Assert.That(environment.CurrentReleaseId, Is.EqualTo(good.Id));
                Assert.That(site.CurrentTarget, Is.EqualTo(good.Path));
                Assert.That(queues.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Value), Is.Zero, "a message ended in _error");
            });
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > TimeSpan.FromMinutes(2))
            {
                Assert.Fail($"Timed out waiting for {what}");
            }

            await Task.Delay(100);
        }
    }
}

public sealed class When_an_operator_uses_status_and_reset_on_the_real_store
{
    [Test]
    public async Task Should_show_the_failed_environment_reset_it_and_print_parseable_json()
    {
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var broken = site.AddRelease("r1", httpStatus: 500);
        site.MakeCurrent(broken);
        await world.StartInProcessAsync();
        var mutationJobId = Guid.NewGuid();
        await world.PublishPlainJsonAsync("pressluft.mutation-completed", ServiceWorld.MutationJson(world.Ansible, mutationJobId, site, broken, null));
        var gate = await world.WaitForGateAsync(mutationJobId, TimeSpan.FromMinutes(2));
        Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.RollbackNoPriorRelease));

        var (statusExit, statusJson, _) = await world.RunCliAsync("status", "--json");
        var (historyExit, historyJson, _) = await world.RunCliAsync("status", "--environment", site.EnvironmentId.ToString(), "--json");
        var (tableExit, table, _) = await world.RunCliAsync("status");
        var (resetExit, resetOutput, resetError) = await world.RunCliAsync("reset-environment", site.EnvironmentId.ToString(), "--by", "ops@example.test", "--reason", "fixed by hand");
        var (againExit, againOutput, againError) = await world.RunCliAsync("reset-environment", site.EnvironmentId.ToString(), "--by", "ops@example.test");

        var overview = JsonDocument.Parse(statusJson).RootElement;
        var history = JsonDocument.Parse(historyJson).RootElement;
        var change = await world.QueryAsync(db => db.EnvironmentStatusChanges.AsNoTracking().OrderByDescending(c => c.Id).FirstAsync());
        Assert.Multiple(() =>
        {
            Assert.That(statusExit, Is.Zero, statusJson);
            Assert.That(overview.GetProperty("environments")[0].GetProperty("status").GetString(), Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That(overview.GetProperty("recentJobs").EnumerateArray().Select(j => j.GetProperty("errorCode").GetString()),
                Does.Contain(ErrorCodes.RollbackNoPriorRelease).And.Contain(ErrorCodes.HealthCheckFailed));
            Assert.That(historyExit, Is.Zero, historyJson);
            Assert.That(history.GetProperty("gates")[0].GetProperty("errorCode").GetString(), Is.EqualTo(ErrorCodes.RollbackNoPriorRelease));
            Assert.That(history.GetProperty("releases")[0].GetProperty("health").GetString(), Is.EqualTo(ReleaseHealth.Unhealthy));
            Assert.That(tableExit, Is.Zero, table);
            Assert.That(table, Does.Contain("ROLLBACK_NO_PRIOR_RELEASE").And.Contain("failed"));
            Assert.That(resetExit, Is.Zero, resetOutput + resetError);
            Assert.That(change.ToStatus, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(change.Reason, Is.EqualTo("reset by ops@example.test: fixed by hand"));
            Assert.That(againExit, Is.EqualTo(1), againOutput + againError);
            Assert.That(againError, Does.Contain("not failed"));
        });
    }
}

public sealed class When_an_operator_publishes_a_mutation_from_the_cli
{
    [Test]
    public async Task Should_refuse_a_bad_one_and_gate_a_good_one()
    {
        await using var world = await ServiceWorld.CreateAsync();
        var site = world.Ansible.Site;
        var release = site.AddRelease("r1");
        site.MakeCurrent(release);
        await world.StartInProcessAsync();
        string[] common =
        [
            "publish-mutation", "--site", site.SiteId.ToString(), "--environment", site.EnvironmentId.ToString(), "--release-id", release.Id.ToString(),
            "--url", world.Ansible.Server.Url.ToString(), "--node-host", "localhost", "--node-user", "root", "--json",
        ];

        var (badExit, badOutput, badError) = await world.RunCliAsync([.. common, "--release-path", "/tmp/elsewhere"]);
        var (goodExit, goodOutput, goodError) = await world.RunCliAsync([.. common, "--release-path", release.Path, "--wait", "--timeout", "120"]);

        Assert.That(goodExit, Is.Zero, goodOutput + goodError);
        var result = System.Text.Json.JsonDocument.Parse(goodOutput).RootElement;
        Assert.Multiple(async () =>
        {
            Assert.That(badExit, Is.EqualTo(2), badOutput + badError);
            Assert.That(badError, Does.Contain("is not a release directory of site"));
            Assert.That(result.GetProperty("outcome").GetString(), Is.EqualTo(GateOutcomes.Passed));
            Assert.That(await world.QueryAsync(db => db.Gates.CountAsync()), Is.EqualTo(1), "the refused event was gated");
        });
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Pressluft.Contracts;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>
/// One validation, at the door: on RabbitMQ and PostgreSQL, a publisher's event that the runner or the ledger would
/// refuse later is refused by the intake at once, into <c>mutation-intake_error</c> with the reason, not retried, and
/// nothing is recorded or run. One running service serves every case; each case waits for its own event's error.
/// </summary>
[NonParallelizable]
public sealed class When_a_publisher_sends_what_the_gate_must_refuse
{
    private const string Payload = "{{ lookup('pipe', 'touch /tmp/pressluft-intake-marker') }}";

    private ServiceWorld _world = null!;
    private Demo.LocalSite _site = null!;
    private Contracts.ReleaseRef _release = null!;
    private readonly List<(string Body, Dictionary<string, string> Headers)> _errors = [];

    private static IEnumerable<TestCaseData> Refusals()
    {
        yield return Case("a host name with an underscore", j => j["node"]!["hostname"] = "node_1", "node.hostname 'node_1' is not a host name");
        yield return Case("a host name with shell metacharacters", j => j["node"]!["hostname"] = "node-1;touch /tmp/x", "node.hostname");
        yield return Case("an SSH user with a space", j => j["node"]!["sshUser"] = "deploy user", "node.sshUser 'deploy user' is not a user name");
        yield return Case("an SSH user holding a template", j => j["node"]!["sshUser"] = Payload, "is not a user name");
        yield return Case("a site slug holding a template", j => j["siteSlug"] = "shop" + Payload, "siteSlug");
        yield return Case("an environment slug with a line break", j => j["environmentSlug"] = "production\nevil", "environmentSlug");
        yield return Case("a release directory name holding a template", j => j["release"]!["path"] = Parent(j) + "/r1" + Payload, "release.path");
        yield return Case("a previous release path holding a template", j =>
            j["previousRelease"] = new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["path"] = Parent(j) + "/r0{% if true %}{% endif %}" }, "previousRelease.path");
        yield return Case("a URL with a template in its path", j => j["environmentUrl"] = j["environmentUrl"]!.GetValue<string>() + Payload, "holds characters a URL cannot hold");
        yield return Case("a URL with a template statement in its query", j => j["environmentUrl"] = j["environmentUrl"]!.GetValue<string>() + "?q={%25 x %25}{% if 1 %}", "holds characters a URL cannot hold");
        yield return Case("a URL with a line break", j => j["environmentUrl"] = j["environmentUrl"]!.GetValue<string>() + "\r\nX-Evil: 1", "holds characters a URL cannot hold");
        yield return Case("a URL carrying credentials", j => j["environmentUrl"] = "https://admin:hunter2@shop.example.test/", "carries credentials");
        yield return Case("a backup reference holding a template", j => j["backupReference"] = "backup-1" + Payload, "backupReference");
        yield return Case("a control character in a slug", j => j["siteSlug"] = "shop\u0007", "siteSlug");
        yield return Case("a completion time in the future", j => j["completedAt"] = DateTimeOffset.UtcNow.AddHours(6).ToString("O"), "completedAt");
        yield return Case("an environment known under another site", j =>
        {
            // A path of the other site, so only the ledger can tell.
            var otherSite = Guid.NewGuid().ToString();
            j["siteId"] = otherSite;
            j["release"]!["path"] = $"{Path.GetDirectoryName(Path.GetDirectoryName(Parent(j)))}/{otherSite}/releases/r1";
        }, "belongs to site", known: true);
        yield return Case("a release known under another environment", j =>
        {
            j["environmentId"] = Guid.NewGuid().ToString();
        }, "belongs to environment", known: true);
    }

    private static TestCaseData Case(string name, Action<JsonObject> spoil, string reason, bool known = false) =>
        new TestCaseData(spoil, reason, known).SetName(name);

    private static string Parent(JsonObject json) => Path.GetDirectoryName(json["release"]!["path"]!.GetValue<string>())!;

    [OneTimeSetUp]
    public async Task StartTheServiceWithOneGatedEnvironment()
    {
        _world = await ServiceWorld.CreateAsync();
        _site = _world.Ansible.Site;
        _release = _site.AddRelease("r1");
        _site.MakeCurrent(_release);
        await _world.StartInProcessAsync();
        var first = Guid.NewGuid();
        await _world.PublishPlainJsonAsync("pressluft.mutation-completed", ServiceWorld.MutationJson(_world.Ansible, first, _site, _release, null));
        var gate = await _world.WaitForGateAsync(first, TimeSpan.FromMinutes(2));
        Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed), "the environment the conflict cases contradict was not gated");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _world.DisposeAsync();

    [TestCaseSource(nameof(Refusals))]
    public async Task Should_refuse_it_at_the_intake_with_the_reason_and_change_nothing(Action<JsonObject> spoil, string reason, bool known)
    {
        var mutationJobId = Guid.NewGuid();
        // Cases that contradict the ledger reuse the gated environment's release; the others use a fresh one.
        var release = known ? _release : _site.AddRelease($"r-{mutationJobId:N}");
        var json = ServiceWorld.MutationJson(_world.Ansible, mutationJobId, _site, release, null, spoil);
        var jobsBefore = await _world.QueryAsync(db => db.Jobs.CountAsync());
        var gatesBefore = await _world.QueryAsync(db => db.Gates.CountAsync());
        var environmentsBefore = await _world.QueryAsync(db => db.Environments.CountAsync());

        await _world.PublishPlainJsonAsync("pressluft.mutation-completed", json);
        var (_, headers) = await ErrorOfAsync(mutationJobId);

        Assert.Multiple(async () =>
        {
            Assert.That(headers.GetValueOrDefault("MT-Fault-Message"), Does.Contain(reason), "the reason does not say why");
            Assert.That(headers.GetValueOrDefault("MT-Fault-Message"), Does.Not.Contain("hunter2"), "the reason repeats a credential");
            Assert.That(headers.GetValueOrDefault("MT-Fault-RetryCount") ?? "0", Is.EqualTo("0"), "a refusal was retried");
            Assert.That(await _world.QueryAsync(db => db.Jobs.CountAsync()), Is.EqualTo(jobsBefore), "a job was queued");
            Assert.That(await _world.QueryAsync(db => db.Gates.CountAsync()), Is.EqualTo(gatesBefore), "a gate was recorded");
            Assert.That(await _world.QueryAsync(db => db.Environments.CountAsync()), Is.EqualTo(environmentsBefore), "an environment was recorded");
            Assert.That(File.Exists("/tmp/pressluft-intake-marker"), Is.False, "a template ran");
        });
    }

    /// <summary>Waits for the <c>mutation-intake_error</c> copy of this event; other cases' errors are kept for them.</summary>
    private async Task<(string Body, Dictionary<string, string> Headers)> ErrorOfAsync(Guid mutationJobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            // The error queue exists from the first error on.
            if ((await _world.QueueDepthsAsync()).GetValueOrDefault("mutation-intake_error") > 0)
            {
                _errors.AddRange(await _world.DrainAsync("mutation-intake_error"));
            }

            var found = _errors.FindIndex(e => e.Body.Contains(mutationJobId.ToString(), StringComparison.Ordinal));
            if (found >= 0)
            {
                var error = _errors[found];
                _errors.RemoveAt(found);
                return error;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"mutation {mutationJobId} did not land in mutation-intake_error");
        throw new UnreachableException();
    }
}

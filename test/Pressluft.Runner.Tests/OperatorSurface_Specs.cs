using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pressluft.Contracts;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>
/// An operator on the embedded default: `pressluft run` in one process, the CLI in others. A broken release (HTTP 500,
/// nothing to roll back to) is published with `publish-mutation --wait`, which goes to the running service over HTTP
/// and streams the gate; then the job view, the metrics and a reset.
/// </summary>
[NonParallelizable]
public sealed class When_an_operator_publishes_a_broken_release_to_the_running_embedded_service
{
    // What the health check module says when a check failed: it reaches the tail only through the playbook's output.
    private const string PlaybookMessage = "Health check did not pass: http failed";

    private EmbeddedService _service = null!;
    private ReleaseRef _broken = null!;
    private Guid _mutationJobId;
    private CliResult _publish = null!;

    [OneTimeSetUp]
    public async Task PublishAndWait()
    {
        _service = await EmbeddedService.StartAsync();
        var site = _service.Ansible.Site;
        _broken = site.AddRelease("r1", httpStatus: 500);
        site.MakeCurrent(_broken);
        _mutationJobId = Guid.NewGuid();
        _publish = await _service.CliAsync("publish-mutation", "--job-id", _mutationJobId.ToString(), "--site", site.SiteId.ToString(),
            "--environment", site.EnvironmentId.ToString(), "--release-id", _broken.Id.ToString(), "--release-path", _broken.Path,
            "--url", _service.Ansible.Server.Url.ToString(), "--node-host", "localhost", "--node-user", "root", "--wait", "--timeout", "120");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _service.DisposeAsync();

    [Test]
    public void Should_gate_it_in_the_running_service_not_in_the_cli()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_publish.ExitCode, Is.EqualTo(1), "the environment ends failed: " + _publish);
            Assert.That(_publish.Error, Does.Not.Contain("in this process"), _publish.ToString());
            Assert.That(_publish.Output, Does.Contain($"gate failed ({ErrorCodes.RollbackNoPriorRelease})"), _publish.ToString());
        });
    }

    [Test]
    public void Should_stream_the_gate_step_by_step_while_it_runs()
    {
        var lines = _publish.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Some.Match(@"^\d+\.\d+s gate started: env_deploy of r1 \(mode Enforce\)$"), _publish.ToString());
            Assert.That(lines, Has.Some.Match(@"^\d+\.\d+s health_check [0-9a-f-]{36} running \(health-check\.yml\)$"), _publish.ToString());
            Assert.That(lines, Has.Some.Match(@"^\d+\.\d+s health_check [0-9a-f-]{36} failed in \d+\.\d s: HEALTH_CHECK_FAILED: .*HTTP 500"), _publish.ToString());
            Assert.That(lines, Has.Some.Match(@"^\d+\.\d+s release r1 unknown -> unhealthy"), _publish.ToString());
            Assert.That(lines, Has.Some.Match(@"^\d+\.\d+s environment deploying -> failed"), _publish.ToString());
            Assert.That(IndexOf(lines, "gate started"), Is.LessThan(IndexOf(lines, "running (health-check.yml)")));
            Assert.That(IndexOf(lines, "running (health-check.yml)"), Is.LessThan(IndexOf(lines, "gate failed")));
        });
    }

    [Test]
    public async Task Should_show_the_failed_checks_detail_and_the_output_tail_in_the_job_view()
    {
        var jobId = Guid.Parse(Regex.Match(_publish.Output, @"health_check ([0-9a-f-]{36}) failed").Groups[1].Value);

        var table = await _service.CliAsync("job", jobId.ToString());
        var json = await _service.CliAsync("job", jobId.ToString(), "--json");

        var detail = JsonDocument.Parse(json.Output).RootElement;
        var http = detail.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("check").GetString() == CheckNames.Http);
        Assert.Multiple(() =>
        {
            Assert.That(table.ExitCode, Is.Zero, table.ToString());
            Assert.That(table.Output, Does.Contain(ErrorCodes.HealthCheckFailed).And.Contain("HTTP 500").And.Contain(PlaybookMessage), table.ToString());
            Assert.That(json.ExitCode, Is.Zero, json.ToString());
            Assert.That(http.GetProperty("outcome").GetString(), Is.EqualTo(CheckOutcomes.Failed));
            Assert.That(http.GetProperty("detail").GetString(), Does.Contain("500"));
            Assert.That(http.GetProperty("durationMs").GetInt64(), Is.GreaterThan(0));
            Assert.That(detail.GetProperty("outputTail").GetString(), Does.Contain(PlaybookMessage));
        });
    }

    [Test]
    public async Task Should_count_the_gate_and_the_verdict_in_the_metrics()
    {
        var metrics = await _service.Http.GetStringAsync(new Uri("metrics", UriKind.Relative));

        Assert.Multiple(() =>
        {
            Assert.That(metrics, Does.Match(@"pressluft_gates_completed_total\{(?=[^}]*outcome=""failed"")(?=[^}]*mode=""Enforce"")[^}]*\} 1\b"), metrics);
            Assert.That(metrics, Does.Match(@"pressluft_gates_started_total\{[^}]*mode=""Enforce""[^}]*\} 1\b"), metrics);
            Assert.That(metrics, Does.Match(@"pressluft_health_checks_total\{[^}]*verdict=""failed""[^}]*\} 1\b"), metrics);
            Assert.That(metrics, Does.Match(@"pressluft_check_duration_seconds_count\{[^}]*check=""http""[^}]*\} 1\b"), metrics);
            Assert.That(metrics, Does.Contain("pressluft_outbox_oldest_age_seconds"));
            // The runtime's own, which the bench reads for the service's allocations per gate.
            Assert.That(metrics, Does.Match(@"dotnet_gc_heap_total_allocated_bytes_total(\{[^}]*\})? [1-9]\d*"), metrics);
        });
    }

    [Test]
    public async Task Should_refuse_a_bad_document_over_http_with_the_reasons_and_gate_nothing()
    {
        var site = _service.Ansible.Site;
        var bad = ServiceWorld.MutationJson(_service.Ansible, Guid.NewGuid(), site, site.AddRelease("r9"), null,
            json => json["release"]!["path"] = "/etc/../root");

        using var response = await _service.Http.PostAsync(new Uri("mutations", UriKind.Relative), new StringContent(bad, Encoding.UTF8, "application/json"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var status = await _service.CliAsync("status", "--environment", site.EnvironmentId.ToString(), "--json");

        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(400));
            Assert.That(body.GetProperty("errors")[0].GetString(), Does.Contain("is not a release directory of site"));
            Assert.That(JsonDocument.Parse(status.Output).RootElement.GetProperty("gates").GetArrayLength(), Is.EqualTo(1), "only the first gate exists");
        });
    }

    [Test]
    public async Task Should_reset_the_failed_environment_through_the_running_service()
    {
        var clock = Stopwatch.StartNew();
        var reset = await _service.CliAsync("reset-environment", _service.Ansible.Site.EnvironmentId.ToString(), "--by", "ops@example.test", "--reason", "fixed");
        var took = clock.Elapsed;
        TestContext.Out.WriteLine($"reset-environment against the running embedded service took {took.TotalSeconds:0.00} s");

        var status = await _service.CliAsync("status", "--environment", _service.Ansible.Site.EnvironmentId.ToString(), "--json");
        Assert.Multiple(() =>
        {
            Assert.That(reset.ExitCode, Is.Zero, reset.ToString());
            Assert.That(reset.Error, Does.Not.Contain("in this process"), reset.ToString());
            Assert.That(JsonDocument.Parse(status.Output).RootElement.GetProperty("environment").GetProperty("status").GetString(), Is.EqualTo(EnvironmentStatuses.Active));
        });
    }

    private static int IndexOf(List<string> lines, string text) => lines.FindIndex(l => l.Contains(text, StringComparison.Ordinal));
}

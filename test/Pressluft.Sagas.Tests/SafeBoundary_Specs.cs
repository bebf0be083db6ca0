using MassTransit;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_mutation_contradicting_the_ledger_reaches_the_saga_without_the_intake(LedgerProvider ledger)
{
    // On the intake these are refused (the next spec); one sent to the saga's own queue is checked by the same read,
    // inside its transaction, and recorded as a rejected gate instead of failing and retrying.
    [Test]
    public async Task Should_record_a_rejected_gate_with_the_reason_and_change_nothing_else()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var (site, r1, otherSite, contradicting) = await Contradictions.DeployUnderAnotherSiteAsync(host);

        var sagaQueue = await host.Harness.Bus.GetSendEndpoint(ReleaseLifecycleSagaDefinition.SagaQueue);
        await sagaQueue.Send(contradicting);
        var gate = await host.WaitForGateAsync(contradicting.MutationJobId);

        var environment = await host.EnvironmentAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Rejected));
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.MutationRejected));
            Assert.That(gate.Reason, Does.Contain($"environment {site.EnvironmentId} belongs to site {site.SiteId}, not {otherSite.SiteId}"));
            Assert.That(environment.SiteId, Is.EqualTo(site.SiteId));
            Assert.That(environment.CurrentReleaseId, Is.EqualTo(r1.Id));
            Assert.That(environment.Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1), "the rejected mutation was checked");
            Assert.That(await host.QueryAsync(db => db.Releases.CountAsync()), Is.EqualTo(1), "the rejected mutation's release was recorded");
            Assert.That(await host.Harness.Consumed.Any<GateCompleted>(x => x.Context.Message.Outcome == GateOutcomes.Rejected), Is.True);
        });
        Assert.That(await host.Harness.Consumed.Any<Fault<MutationCompleted>>(), Is.False, "the rejection faulted instead of being recorded");
    }
}

// On the intake the saga's own check of the ledger (one read, after its row is loaded) refuses a contradicting mutation
// into the intake's error queue with the reason, rolling back everything, instead of recording a rejected gate.
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_mutation_contradicting_the_ledger_is_published(LedgerProvider ledger)
{
    [Test]
    public async Task Should_refuse_it_at_the_intake_with_the_reason_and_record_nothing()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var (site, r1, otherSite, contradicting) = await Contradictions.DeployUnderAnotherSiteAsync(host);
        var messageId = NewId.NextGuid();

        await host.Harness.Bus.Publish(contradicting, c => c.MessageId = messageId);
        // Its fault is published, then the intake finishes the delivery (into its error queue).
        await host.Harness.Published.Any<Fault<MutationCompleted>>(f => f.Context.Message.FaultedMessageId == messageId);
        await host.FaultsAsync(messageId, MutationIntake.QueueName);
        var reasons = host.PublishedFaults<MutationCompleted>([messageId]).Select(e => e.Message);

        var environment = await host.EnvironmentAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That(reasons, Has.Some.Contains($"environment {site.EnvironmentId} belongs to site {site.SiteId}, not {otherSite.SiteId}"));
            Assert.That(await host.QueryAsync(db => db.Gates.CountAsync(g => g.MutationJobId == contradicting.MutationJobId)), Is.Zero, "a gate was recorded");
            Assert.That(await host.QueryAsync(db => db.Sites.CountAsync(x => x.Id == otherSite.SiteId)), Is.Zero, "the other site was recorded");
            Assert.That(await host.QueryAsync(db => db.Releases.CountAsync()), Is.EqualTo(1), "the refused mutation's release was recorded");
            Assert.That(environment.CurrentReleaseId, Is.EqualTo(r1.Id));
            Assert.That(environment.Status, Is.EqualTo(EnvironmentStatuses.Active));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1), "the refused mutation was checked");
        });
    }
}

internal static class Contradictions
{
    /// <summary>
    /// Gates r1 of a new site, then returns a deploy of r2 over r1 (not yet published) that names another site as the
    /// environment's owner: it contradicts the ledger.
    /// </summary>
    public static async Task<(SiteFixture Site, ReleaseRef Prior, SiteFixture OtherSite, MutationCompleted Mutation)> DeployUnderAnotherSiteAsync(GateTestHost host)
    {
        var site = new SiteFixture();
        var r1 = site.NewRelease("r1");
        await host.GateAsync(site.Mutation(r1));
        var otherSite = new SiteFixture();
        return (site, r1, otherSite, site.Mutation(site.NewRelease("r2"), r1) with { SiteId = otherSite.SiteId });
    }
}

// mutation-intake is the public door (bound to pressluft.mutation-completed) and the saga runs there, for
// MutationCompleted only: any other event the saga knows, put on that queue, must not move a gate.
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_another_saga_event_is_put_on_the_intake(LedgerProvider ledger)
{
    [Test]
    public async Task Should_refuse_it_and_leave_the_gate_waiting()
    {
        await using var host = await GateTestHost.StartAsync(ledger,
            new Dictionary<string, string?> { ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:05:00" });
        var site = new SiteFixture();
        var (_, check) = await host.AwaitingCheckAsync(site);

        var intake = await host.Harness.Bus.GetSendEndpoint(new Uri($"queue:{MutationIntake.QueueName}"));
        await intake.Send(Answers.Failed(check));
        Assert.That(await host.Harness.Consumed.Any<HealthCheckFailed>(c => c.Exception is not null), Is.True, "the answer was not refused");

        var refusal = host.Harness.Consumed.Select<HealthCheckFailed>(c => c.Exception is not null).Single().Exception!;
        Assert.Multiple(async () =>
        {
            Assert.That(refusal.Message, Does.Contain($"{MutationIntake.QueueName} takes MutationCompleted only"));
            Assert.That((await Snapshot.TakeAsync(host)).SagaState, Is.EqualTo(nameof(host.Machine.HealthChecking)));
            Assert.That((await host.JobsAsync(site.EnvironmentId)).Single().Status, Is.EqualTo(JobStatuses.Queued));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
    }
}

// A MassTransit envelope lists every type its message may be read as, and the saga on mutation-intake takes each one
// it knows: an envelope that names another of its events beside MutationCompleted, with a body that reads as both, is
// refused whole, and no gate opens.
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_an_envelope_on_the_intake_names_another_type_too(LedgerProvider ledger)
{
    [Test]
    public async Task Should_refuse_it_without_opening_a_gate()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var mutation = site.Mutation(site.NewRelease("r1"));
        var both = new MutationAndAnswer
        {
            MutationJobId = mutation.MutationJobId,
            JobType = mutation.JobType,
            SiteId = mutation.SiteId,
            EnvironmentId = mutation.EnvironmentId,
            Node = mutation.Node,
            EnvironmentUrl = mutation.EnvironmentUrl,
            Release = mutation.Release,
            CompletedAt = mutation.CompletedAt,
            JobId = Guid.NewGuid(),
            Verdict = HealthVerdicts.Failed,
            Error = new JobError { Code = ErrorCodes.HealthCheckFailed, Message = "http (HTTP 500)" },
        };
        var messageId = NewId.NextGuid();

        var intake = await host.Harness.Bus.GetSendEndpoint(new Uri($"queue:{MutationIntake.QueueName}"));
        await intake.Send(both, c =>
        {
            c.MessageId = messageId;
            c.SupportedMessageTypes = [MessageUrn.ForTypeString<MutationCompleted>(), MessageUrn.ForTypeString<HealthCheckFailed>()];
        });
        var faults = await host.FaultsAsync(messageId, MutationIntake.QueueName);

        Assert.Multiple(async () =>
        {
            Assert.That(faults.Select(f => f.Message), Has.Some.Contains($"{MutationIntake.QueueName} takes MutationCompleted only, not"));
            Assert.That(await host.QueryAsync(db => db.Gates.CountAsync()), Is.Zero, "a gate opened");
            Assert.That(host.Runner.CheckRequests, Is.Empty);
        });
    }
}

/// <summary>A body that reads as a <see cref="MutationCompleted"/> and as a <see cref="HealthCheckFailed"/>.</summary>
internal sealed record MutationAndAnswer
{
    public required Guid MutationJobId { get; init; }
    public required string JobType { get; init; }
    public required Guid SiteId { get; init; }
    public required Guid EnvironmentId { get; init; }
    public required NodeRef Node { get; init; }
    public required string EnvironmentUrl { get; init; }
    public required ReleaseRef Release { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
    public required Guid JobId { get; init; }
    public required string Verdict { get; init; }
    public required JobError Error { get; init; }
}

// MassTransit's plain-JSON reader offers a body that names no type (or any) to every type asked for; on mutation-intake,
// where the saga listens for all its events, plain JSON must be a MutationCompleted and nothing else, whatever its
// headers claim.
public sealed class When_plain_json_on_the_intake_claims_another_type
{
    [Test]
    public void Should_be_read_as_a_mutation_only()
    {
        var headers = new DictionarySendHeaders(new Dictionary<string, object?> { [MessageHeaders.MessageType] = MessageUrn.ForTypeString<HealthCheckFailed>() });
        var site = new SiteFixture();
        var sent = site.Mutation(site.NewRelease("r1"));
        var body = new StringMessageBody(System.Text.Json.JsonSerializer.Serialize(sent, SystemTextJsonMessageSerializer.Options));

        var read = new MutationJsonDeserializer().Deserialize(body, headers);

        Assert.Multiple(() =>
        {
            Assert.That(read.IsSupportedMessageType<HealthCheckFailed>(), Is.False);
            Assert.That(read.IsSupportedMessageType<JobStarted>(), Is.False);
            Assert.That(read.IsSupportedMessageType<MutationCompleted>(), Is.True);
            Assert.That(read.TryGetMessage<MutationCompleted>(out var mutation), Is.True);
            Assert.That(mutation!.MutationJobId, Is.EqualTo(sent.MutationJobId));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_runner_refuses_the_check(LedgerProvider ledger)
{
    [Test]
    public async Task Should_fail_the_environment_with_JOB_REJECTED_without_retrying_or_judging_the_release()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var release = site.NewRelease("r2");
        host.Runner.Script(release.Id, CheckAnswer.Refused);

        var mutation = site.Mutation(release, site.NewRelease("r1"));
        await host.PublishAsync(mutation);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.Multiple(async () =>
        {
            Assert.That((gate.Outcome, gate.ErrorCode), Is.EqualTo((GateOutcomes.Failed, ErrorCodes.JobRejected)));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1), "a refused job was retried");
            Assert.That(host.Runner.RollbackRequests, Is.Empty, "a release was rolled back on a verdict that measured nothing");
            Assert.That((await host.ReleaseAsync(release.Id)).HealthStatus, Is.EqualTo(ReleaseHealth.Unknown));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Status, Is.EqualTo(EnvironmentStatuses.Failed));
            Assert.That(jobs.Single().ErrorCode, Is.EqualTo(ErrorCodes.JobRejected));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_guarded_config_is_reloaded_with_a_typo(LedgerProvider ledger)
{
    [TestCase("Disable")]
    [TestCase("Reportonly")]
    [TestCase("1")]
    public async Task Should_refuse_it_keep_the_mode_in_force_and_log_an_error(string typo)
    {
        var logs = new CapturedLogs();
        await using var host = await GateTestHost.StartAsync(ledger,
            new Dictionary<string, string?> { ["Pressluft:HealthGate:Operations:env_deploy:Mode"] = GateModes.ReportOnly },
            services: s => s.AddLogging(b => b.AddProvider(logs)));
        var site = new SiteFixture();
        var broken = site.NewRelease("r2");
        host.Runner.Script(broken.Id, CheckAnswer.Fail);

        host.SetMode(JobTypes.EnvDeploy, typo);
        var mutation = site.Mutation(broken, site.NewRelease("r1"));
        await host.PublishAsync(mutation);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        Assert.Multiple(() =>
        {
            Assert.That((gate.Mode, gate.Outcome), Is.EqualTo((GateModes.ReportOnly, GateOutcomes.Reported)), "the typo changed the mode in force");
            Assert.That(logs.At(LogLevel.Error), Has.Some.Contains("Pressluft:HealthGate:Operations:env_deploy:Mode").And.Contains($"'{typo}'"));
            Assert.That(logs.At(LogLevel.Information).Concat(logs.At(LogLevel.Warning)), Has.Some.Contains("env_deploy=ReportOnly"), "the mode in force was not logged");
        });
    }
}

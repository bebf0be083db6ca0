using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;
using Pressluft.Messaging.Outbox;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Messages;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;
using static Pressluft.Sagas.Tests.Sagas;

namespace Pressluft.Sagas.Tests;

/// <summary>One saga transition is one transaction: saga row, ledger rows and outgoing messages commit together or not at all.</summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_transition_cannot_store_its_outgoing_messages(LedgerProvider ledger)
{
    [Test]
    public async Task Should_leave_no_trace_of_the_transition()
    {
        // The rows delivered right after the commit (on PostgreSQL written by the commit batch, not EF's save).
        var failing = new FailingWrites("outbox_messages", when: "NEW.inbox_message_id IS NOT NULL");
        var (host, site, check, before) = await failing.AwaitingCheckAsync(ledger);
        await using var _ = host;

        await failing.ArmAsync(host);
        await host.PublishAsync(Answers.Failed(check));
        // The first attempt and the endpoint's ten retries all fail; then the message is faulted.
        await GateTestHost.Until(async () => await failing.FailuresAsync(host) >= 11, TimeSpan.FromSeconds(40), "every attempt to fail");
        Assert.That(await host.Harness.Published.Any<Fault<HealthCheckFailed>>(), Is.True, "the answer was not faulted");
        var after = await Snapshot.TakeAsync(host);
        var failures = await failing.FailuresAsync(host);

        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.EqualTo(11), "the transition was retried and failed each time");
            Assert.That(after, Is.EqualTo(before), "a failed transition changed stored state");
            Assert.That(after.SagaState, Is.EqualTo(nameof(host.Machine.HealthChecking)));
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });

        // The same answer goes through once the store works again: the failed attempts left nothing in its way.
        await failing.DisarmAsync(host);
        await host.PublishAsync(Answers.Failed(check));
        await host.WaitForStateAsync(site.EnvironmentId, m => m.RollingBack);
        var jobs = await host.JobsAsync(site.EnvironmentId);
        Assert.That(jobs.Count(j => j.JobType == JobTypes.ReleaseRollback), Is.EqualTo(1));
    }
}

/// <summary>The ledger never commits on its own: its changes go into the database with the message's inbox row, or not at all.</summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_transition_cannot_store_its_inbox_row(LedgerProvider ledger)
{
    [Test]
    public async Task Should_keep_none_of_its_ledger_changes()
    {
        var failing = new FailingWrites("inbox_states");
        var (host, _, check, before) = await failing.AwaitingCheckAsync(ledger);
        await using var _ = host;

        // The answer fails the check, which changes jobs, release health and the saga; then its inbox row cannot be written.
        await failing.ArmAsync(host);
        await host.PublishAsync(Answers.Failed(check));
        await GateTestHost.Until(async () => await failing.FailuresAsync(host) >= 11, TimeSpan.FromSeconds(40), "every attempt to fail");
        Assert.That(await host.Harness.Published.Any<Fault<HealthCheckFailed>>(), Is.True, "the answer was not faulted");
        var after = await Snapshot.TakeAsync(host);

        Assert.Multiple(() =>
        {
            Assert.That(after, Is.EqualTo(before), "ledger changes of the transition were committed without its inbox row");
            Assert.That(host.Runner.RollbackRequests, Is.Empty);
        });
    }
}

/// <summary>The site's status, worked out last under the site's lock, commits with the transition or not at all.</summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_transition_cannot_update_its_site(LedgerProvider ledger)
{
    [Test]
    public async Task Should_keep_none_of_its_changes()
    {
        var failing = new FailingWrites("sites", "UPDATE");
        var (host, _, check, before) = await failing.AwaitingCheckAsync(ledger);
        await using var _ = host;

        // The passed check returns the environment to active, so the site's status follows: its update is the commit's last statement.
        await failing.ArmAsync(host);
        await host.PublishAsync(Answers.Passed(check));
        await GateTestHost.Until(() => host.Harness.Published.Any<Fault<HealthCheckPassed>>(), TimeSpan.FromSeconds(60), "the answer to be faulted");
        var after = await Snapshot.TakeAsync(host);
        var failures = await failing.FailuresAsync(host);

        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.GreaterThanOrEqualTo(11), "the transition and its ten retries each failed on the site's update");
            Assert.That(after, Is.EqualTo(before), "changes of the transition were committed without the site's status");
            Assert.That(after.SagaState, Is.EqualTo(nameof(host.Machine.HealthChecking)));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_delivery_fails_after_the_commit(LedgerProvider ledger)
{
    [Test]
    public async Task Should_deliver_each_message_once_on_redelivery_without_a_second_transition()
    {
        var delivery = new FailingDelivery("pressluft.rollback-requested");
        await using var host = await GateTestHost.StartAsync(ledger, bus: cfg => cfg.ConfigureSend(s => s.UseFilter(delivery)));
        var site = new SiteFixture();
        var ((_, broken, _), rollback) = await host.RollingBackAsync(site);
        await host.HandledAsync<JobStarted>(m => m.EnvironmentId == site.EnvironmentId);

        var jobs = await host.JobsAsync(site.EnvironmentId);
        var transitions = await host.QueryAsync(db => db.ReleaseHealthTransitions.AsNoTracking().CountAsync(t => t.ReleaseId == broken.Id));
        // Every message the saga consumed (on mutation-intake or its own queue) has one inbox row and bumped the version once.
        var answers = await host.QueryAsync(db => db.InboxStates.AsNoTracking().CountAsync());
        Assert.Multiple(async () =>
        {
            Assert.That(delivery.Failed, Is.EqualTo(1), "delivery did not fail after the commit");
            Assert.That(host.Runner.RollbackRequests, Has.Count.EqualTo(1), "the rollback request was delivered more than once");
            Assert.That(rollback.JobId, Is.EqualTo(jobs.Single(j => j.JobType == JobTypes.ReleaseRollback).Id));
            Assert.That(transitions, Is.EqualTo(1), "the saga transitioned twice");
            Assert.That(await SagaVersionAsync(host), Is.EqualTo(answers), "the redelivered answer reached the saga again (one version per consumed message)");
            Assert.That(await host.QueryAsync(db => db.OutboxMessages.CountAsync(m => m.InboxMessageId != null)), Is.Zero, "delivered rows were left behind");
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_same_message_is_delivered_twice(LedgerProvider ledger)
{
    [Test]
    public async Task Should_transition_once_and_send_one_set_of_messages()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var (_, check) = await host.AwaitingCheckAsync(site);

        var version = await SagaVersionAsync(host);
        var messageId = NewId.NextGuid();
        var answer = Answers.Failed(check);
        await Task.WhenAll(
            host.Harness.Bus.Publish(answer, c => c.MessageId = messageId),
            host.Harness.Bus.Publish(answer, c => c.MessageId = messageId));
        await host.SingleRollbackRequestAsync();
        await host.ReceivedAsync(messageId, times: 2);

        var inbox = await host.QueryAsync(db => db.InboxStates.AsNoTracking().Where(i => i.MessageId == messageId).ToListAsync());
        Assert.Multiple(async () =>
        {
            Assert.That(await SagaVersionAsync(host), Is.EqualTo(version + 1), "the duplicate reached the saga");
            Assert.That(host.Runner.RollbackRequests, Has.Count.EqualTo(1));
            Assert.That((await host.JobsAsync(site.EnvironmentId)).Count(j => j.JobType == JobTypes.ReleaseRollback), Is.EqualTo(1));
            Assert.That(inbox, Has.Count.EqualTo(1));
            Assert.That(inbox[0].Delivered, Is.Not.Null);
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_consumed_message_is_sent_again(LedgerProvider ledger)
{
    /// <summary>
    /// A publisher's outbox sends a message again after a crash: a new delivery, not a redelivery. The saga's endpoint
    /// runs a first delivery without reading its inbox row, so the copy runs too; its commit fails on the inbox's key,
    /// and the retry reads the row and finds the message consumed.
    /// </summary>
    [Test]
    public async Task Should_keep_the_copy_from_a_second_transition_though_it_read_no_inbox_row_first()
    {
        var messageId = NewId.NextGuid();
        var reads = new ReaderCommands { Recording = true };
        await using var host = await GateTestHost.StartAsync(ledger, database: (_, o) => o.AddInterceptors(reads));
        var site = new SiteFixture();
        var (_, check) = await host.AwaitingCheckAsync(site);
        var version = await SagaVersionAsync(host);
        var answer = Answers.Failed(check);

        await host.Harness.Bus.Publish(answer, c => c.MessageId = messageId);
        await host.SingleRollbackRequestAsync();
        await host.ReceivedAsync(messageId, times: 1);
        var readsForTheFirst = InboxReads(reads, messageId);

        await host.Harness.Bus.Publish(answer, c => c.MessageId = messageId);
        await host.ReceivedAsync(messageId, times: 2);

        var inbox = await host.QueryAsync(db => db.InboxStates.AsNoTracking().Where(i => i.MessageId == messageId).ToListAsync());
        Assert.Multiple(async () =>
        {
            Assert.That(readsForTheFirst, Is.Zero, "the first delivery read an inbox row");
            Assert.That(InboxReads(reads, messageId), Is.Positive, "the copy's retry did not read the inbox row");
            Assert.That(await SagaVersionAsync(host), Is.EqualTo(version + 1), "the copy reached the saga's state");
            Assert.That(host.Runner.RollbackRequests, Has.Count.EqualTo(1), "the copy's rollback request was sent");
            Assert.That((await host.JobsAsync(site.EnvironmentId)).Count(j => j.JobType == JobTypes.ReleaseRollback), Is.EqualTo(1));
            Assert.That(inbox, Has.Count.EqualTo(1));
            Assert.That(inbox[0].Delivered, Is.Not.Null);
        });
    }

    /// <summary>
    /// A copy under a consumed message's id with a body the saga would refuse: as before (when the inbox row was read
    /// first), it is a copy of a consumed message, not a new message to refuse into <c>_error</c>.
    /// </summary>
    [Test]
    public async Task Should_finish_a_copy_the_saga_would_refuse_as_a_copy()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        var release = site.NewRelease("r1");
        host.Runner.Script(release.Id, CheckAnswer.Pass);
        var mutation = site.Mutation(release);
        var messageId = NewId.NextGuid();
        var saga = await host.Harness.Bus.GetSendEndpoint(ReleaseLifecycleSagaDefinition.SagaQueue);
        await saga.Send(mutation, c => c.MessageId = messageId);
        await host.WaitForGateAsync(mutation.MutationJobId);
        await host.ReceivedAsync(messageId, times: 1);
        var version = await SagaVersionAsync(host);

        await saga.Send(mutation with { EnvironmentSlug = "{{ lookup('pipe', 'id') }}" }, c => c.MessageId = messageId);
        await host.ReceivedAsync(messageId, times: 2);

        Assert.Multiple(async () =>
        {
            Assert.That(await SagaVersionAsync(host), Is.EqualTo(version), "the copy reached the saga's state");
            Assert.That(await host.Harness.Published.Any<Fault<MutationCompleted>>(), Is.False, "the copy was refused as a new message");
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).Slug, Is.EqualTo(mutation.EnvironmentSlug ?? mutation.EnvironmentType));
            Assert.That(host.Runner.CheckRequests, Has.Count.EqualTo(1));
        });
    }

    // Reads of this message's inbox row.
    private static int InboxReads(ReaderCommands reads, Guid messageId) =>
        reads.All.Count(c => c.Text.TrimStart().StartsWith("SELECT", StringComparison.Ordinal) && c.Text.Contains("inbox_states", StringComparison.Ordinal)
            && c.Parameters.Any(p => p is Guid id && id == messageId));
}

internal static class Sagas
{
    public static Task<int> SagaVersionAsync(GateTestHost host) =>
        host.QueryAsync(db => db.ReleaseLifecycleSagas.AsNoTracking().Select(s => s.Version).SingleAsync());
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_two_messages_for_one_environment_arrive_at_once(LedgerProvider ledger)
{
    // With partitions the endpoint serialises one environment's messages; with none they race on the saga row and
    // optimistic concurrency makes one retry on a fresh scope.
    [Test]
    public async Task Should_apply_both_without_losing_an_update([Values("16", "0")] string partitions)
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?> { ["Pressluft:Messaging:SagaPartitions"] = partitions });
        var site = new SiteFixture();
        var first = site.Mutation(site.NewRelease("r1"));
        await host.GateAsync(first);

        // Two deploys completing at the same instant: whichever the saga takes second supersedes the first.
        var r2 = site.NewRelease("r2");
        var r3 = site.NewRelease("r3");
        host.Runner.Script(r2.Id, CheckAnswer.Silent);
        host.Runner.Script(r3.Id, CheckAnswer.Silent);
        var at = DateTimeOffset.UtcNow.AddMinutes(1);
        var a = site.Mutation(r2, completedAt: at);
        var b = site.Mutation(r3, completedAt: at);
        await Task.WhenAll(host.PublishAsync(a), host.PublishAsync(b));
        await host.Eventually(async db => await db.Gates.CountAsync() == 3, what: "both gates to start");
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == a.MutationJobId);
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == b.MutationJobId);

        var gates = await host.QueryAsync(db => db.Gates.AsNoTracking().Where(g => g.MutationJobId != first.MutationJobId).ToListAsync());
        var saga = await host.QueryAsync(db => db.ReleaseLifecycleSagas.AsNoTracking().SingleAsync());
        var checks = (await host.JobsAsync(site.EnvironmentId)).Where(j => j.MutationJobId != first.MutationJobId).ToList();
        var running = gates.Single(g => g.Outcome is null);
        Assert.Multiple(() =>
        {
            Assert.That(gates.Count(g => g.Outcome == GateOutcomes.Superseded), Is.EqualTo(1));
            Assert.That(saga.MutationJobId, Is.EqualTo(running.MutationJobId), "the saga lost the second update");
            Assert.That(checks, Has.Count.EqualTo(2));
            Assert.That(checks.Count(j => j.Status == JobStatuses.Cancelled), Is.EqualTo(1));
            Assert.That(saga.CurrentJobId, Is.EqualTo(checks.Single(j => j.Status == JobStatuses.Queued).Id));
            Assert.That(saga.Version, Is.EqualTo(5), "insert, first gate's two updates, then one update per mutation");
        });
    }

    [Test]
    public async Task Should_create_one_saga_when_the_first_two_messages_race([Values("16", "0")] string partitions)
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?> { ["Pressluft:Messaging:SagaPartitions"] = partitions });
        var site = new SiteFixture();
        var r1 = site.NewRelease("r1");
        var r2 = site.NewRelease("r2");
        host.Runner.Script(r1.Id, CheckAnswer.Silent);
        host.Runner.Script(r2.Id, CheckAnswer.Silent);
        var at = DateTimeOffset.UtcNow;

        await Task.WhenAll(host.PublishAsync(site.Mutation(r1, completedAt: at)), host.PublishAsync(site.Mutation(r2, completedAt: at)));
        await host.Eventually(async db => await db.Gates.CountAsync() == 2, what: "both gates to start");
        await host.HandledAsync<MutationCompleted>(m => m.Release.Id == r1.Id);
        await host.HandledAsync<MutationCompleted>(m => m.Release.Id == r2.Id);

        Assert.Multiple(async () =>
        {
            Assert.That(await host.QueryAsync(db => db.ReleaseLifecycleSagas.CountAsync()), Is.EqualTo(1));
            Assert.That(await host.QueryAsync(db => db.Gates.CountAsync(g => g.Outcome == GateOutcomes.Superseded)), Is.EqualTo(1));
            Assert.That(await host.QueryAsync(db => db.Sites.CountAsync()), Is.EqualTo(1));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_two_scopes_update_the_same_saga(LedgerProvider ledger)
{
    [Test]
    public async Task Should_reject_the_second_update_of_the_same_version()
    {
        await using var host = await GateTestHost.StartAsync(ledger);
        var site = new SiteFixture();
        await host.GateAsync(site.Mutation(site.NewRelease("r1")));
        await host.HandledAsync<HealthCheckPassed>(m => m.EnvironmentId == site.EnvironmentId);

        await using var first = host.Provider.CreateAsyncScope();
        await using var second = host.Provider.CreateAsyncScope();
        var one = first.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var two = second.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var a = await one.ReleaseLifecycleSagas.SingleAsync();
        var b = await two.ReleaseLifecycleSagas.SingleAsync();
        a.Version++;
        a.GateMode = "first";
        b.Version++;
        b.GateMode = "second";

        await one.SaveChangesAsync();

        Assert.That(() => two.SaveChangesAsync(), Throws.InstanceOf<DbUpdateConcurrencyException>());
        Assert.That(await host.QueryAsync(db => db.ReleaseLifecycleSagas.Select(s => s.GateMode).SingleAsync()), Is.EqualTo("first"));
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_deadline_is_due(LedgerProvider ledger)
{
    [Test]
    public async Task Should_be_delivered_by_the_relay_after_its_due_time_and_not_before()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:00:01.500",
            ["Pressluft:HealthGate:InconclusiveRetries"] = "0",
        });
        var site = new SiteFixture();
        var (_, _, mutation) = await host.DeployAsync(site, [CheckAnswer.Silent]);
        var (sequence, due) = await DueDeadlineAsync(host);
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        var check = (await host.JobsAsync(site.EnvironmentId)).First();
        Assert.Multiple(async () =>
        {
            Assert.That(check.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckTimeout));
            Assert.That(check.FinishedAt, Is.GreaterThanOrEqualTo(due), "the deadline was handled before it was due");
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckTimeout));
            Assert.That(await host.QueryAsync(db => db.OutboxMessages.AnyAsync(m => m.SequenceNumber == sequence)), Is.False, "the delivered deadline was left behind");
        });
    }

    // The relay sleeps until the next due row instead of looking twice a second: a deadline this process commits wakes it
    // at its due time, though its next look (RelayInterval) is a minute away.
    [Test]
    public async Task Should_be_delivered_at_its_due_time_by_a_relay_not_due_to_look_for_a_minute()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:00:01.500",
            ["Pressluft:HealthGate:InconclusiveRetries"] = "0",
            ["Pressluft:Outbox:RelayInterval"] = "00:01:00",
        });
        var site = new SiteFixture();
        var (_, _, mutation) = await host.DeployAsync(site, [CheckAnswer.Silent]);
        var (_, due) = await DueDeadlineAsync(host);

        var gate = await host.WaitForGateAsync(mutation.MutationJobId, TimeSpan.FromSeconds(30));

        var check = (await host.JobsAsync(site.EnvironmentId)).First();
        Assert.Multiple(() =>
        {
            Assert.That(gate.ErrorCode, Is.EqualTo(ErrorCodes.HealthCheckTimeout));
            Assert.That(check.FinishedAt, Is.GreaterThanOrEqualTo(due), "the deadline was handled before it was due");
            Assert.That(check.FinishedAt, Is.LessThan(due.AddSeconds(20)), "the deadline waited for the relay's next look");
        });
    }

    [Test]
    public async Task Should_be_delivered_once_when_two_relays_run_at_once()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:HealthGate:HealthCheckDeadline"] = "00:00:00.500",
            ["Pressluft:HealthGate:InconclusiveRetries"] = "0",
            ["Pressluft:Outbox:RunBackgroundServices"] = "false",
            ["Pressluft:Outbox:RelayBatchSize"] = "3",
        });
        const int environments = 12;
        var mutations = Enumerable.Range(0, environments).Select(_ =>
        {
            var site = new SiteFixture();
            var release = site.NewRelease("r1");
            host.Runner.Script(release.Id, CheckAnswer.Silent);
            return site.Mutation(release);
        }).ToList();
        foreach (var mutation in mutations)
        {
            await host.PublishAsync(mutation);
        }

        await host.Eventually(async db => await db.OutboxMessages.CountAsync(m => m.InboxMessageId == null) == environments, what: "every deadline to be stored");
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        using var relayOne = ActivatorUtilities.CreateInstance<DueMessageRelay>(host.Provider);
        using var relayTwo = ActivatorUtilities.CreateInstance<DueMessageRelay>(host.Provider);

        var delivered = await Task.WhenAll(DrainAsync(relayOne), DrainAsync(relayTwo));

        Assert.That(delivered.Sum(), Is.EqualTo(environments), $"relays delivered {delivered[0]} + {delivered[1]}");
        await host.Eventually(async db => await db.Jobs.CountAsync(j => j.ErrorCode == ErrorCodes.HealthCheckTimeout) == environments,
            what: "every check to time out");
        Assert.That(await host.QueryAsync(db => db.Jobs.CountAsync(j => j.ErrorCode == ErrorCodes.HealthCheckTimeout)), Is.EqualTo(environments));
    }

    private static async Task<int> DrainAsync(DueMessageRelay relay)
    {
        var total = 0;
        for (var pass = 0; pass < 50; pass++)
        {
            total += await relay.RelayDueAsync(CancellationToken.None);
        }

        return total;
    }

    private static async Task<(long Sequence, DateTime Due)> DueDeadlineAsync(GateTestHost host)
    {
        Messaging.Outbox.OutboxMessage? row = null;
        await host.Eventually(async db =>
        {
            row = await db.OutboxMessages.AsNoTracking().Where(m => m.InboxMessageId == null).FirstOrDefaultAsync();
            return row is not null;
        }, what: "the deadline to be stored");
        return (row!.SequenceNumber, row.EnqueueTime!.Value);
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_the_inbox_is_cleaned_up(LedgerProvider ledger)
{
    [Test]
    public async Task Should_delete_only_rows_older_than_the_window_and_leave_late_duplicates_to_the_saga()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:Outbox:DuplicateDetectionWindow"] = "01:00:00",
            ["Pressluft:Outbox:RunBackgroundServices"] = "false",
        });
        var site = new SiteFixture();
        var (good, _, mutation) = await host.DeployAsync(site, [CheckAnswer.Fail]);
        await host.WaitForGateAsync(mutation.MutationJobId);
        await host.HandledAsync<HealthCheckPassed>(m => m.EnvironmentId == site.EnvironmentId);
        var failure = (await host.HandledAsync<HealthCheckFailed>(m => m.EnvironmentId == site.EnvironmentId)).Single().Context;

        // Age every inbox row but one past the window.
        var rows = await host.QueryAsync(db => db.InboxStates.AsNoTracking().OrderBy(i => i.Id).ToListAsync());
        var kept = rows.Last(r => r.MessageId != failure.MessageId).Id;
        await host.QueryAsync(db => db.InboxStates.Where(i => i.Id != kept).ExecuteUpdateAsync(s => s.SetProperty(i => i.Delivered, DateTime.UtcNow.AddHours(-2))));

        var deleted = await host.Provider.GetRequiredService<InboxCleanupService>().CleanUpAsync(CancellationToken.None);

        var remaining = await host.QueryAsync(db => db.InboxStates.AsNoTracking().Select(i => i.Id).ToListAsync());
        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.EqualTo(rows.Count - 1));
            Assert.That(remaining, Is.EqualTo(new[] { kept }));
        });

        // The answer that caused the rollback arrives again, after its inbox row is gone: the saga ignores it.
        var version = await SagaVersionAsync(host);
        await host.Harness.Bus.Publish(failure.Message, c => c.MessageId = failure.MessageId);
        await host.Eventually(async db => await db.InboxStates.AnyAsync(i => i.MessageId == failure.MessageId), what: "the late duplicate to be consumed");
        await host.ReceivedAsync(failure.MessageId!.Value, times: 2);

        Assert.Multiple(async () =>
        {
            Assert.That(await SagaVersionAsync(host), Is.EqualTo(version + 1), "the late duplicate did not reach the saga");
            Assert.That(host.Runner.RollbackRequests, Has.Count.EqualTo(1), "a second rollback was requested");
            Assert.That((await host.JobsAsync(site.EnvironmentId)).Count, Is.EqualTo(3));
            Assert.That((await host.EnvironmentAsync(site.EnvironmentId)).CurrentReleaseId, Is.EqualTo(good.Id));
        });
    }
}

[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_outgoing_messages_stay_undelivered(LedgerProvider ledger)
{
    [Test]
    public async Task Should_report_them_as_stuck_to_operators()
    {
        await using var host = await GateTestHost.StartAsync(ledger, new Dictionary<string, string?>
        {
            ["Pressluft:Outbox:StuckAfter"] = "00:05:00",
            ["Pressluft:Outbox:RunBackgroundServices"] = "false",
        });
        var monitor = host.Provider.GetRequiredService<OutboxMonitor>();
        var healthy = await monitor.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());

        // A message consumed ten minutes ago whose outgoing messages never went out (its redelivery ended in _error).
        await host.QueryAsync(async db =>
        {
            db.InboxStates.Add(new InboxState
            {
                MessageId = Guid.NewGuid(),
                ConsumerId = Guid.NewGuid(),
                Received = DateTime.UtcNow.AddMinutes(-10),
                ReceiveCount = 1,
                Consumed = DateTime.UtcNow.AddMinutes(-10),
            });
            return await db.SaveChangesAsync();
        });

        var backlog = await monitor.ReadAsync(CancellationToken.None);
        var degraded = await monitor.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Multiple(() =>
        {
            Assert.That(healthy.Status, Is.EqualTo(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy));
            Assert.That(backlog.StuckUndelivered, Is.EqualTo(1));
            Assert.That(backlog.IsStuck, Is.True);
            Assert.That(degraded.Status, Is.EqualTo(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded));
            Assert.That(degraded.Description, Does.Contain("1 outgoing messages undelivered"));
        });
    }
}

using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Ansible;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Runner.Tests;

// At most one playbook acts on an environment at a time, across runners and restarts (issue 9).

public sealed class When_two_checks_of_one_environment_race_on_the_embedded_default
{
    [Test]
    public async Task Should_run_their_playbooks_one_after_the_other()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(
            x => x.AddConsumer<HealthCheckConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 4),
            new Dictionary<string, string?> { ["Pressluft:Ansible:WpCliPath"] = ScriptedWpCli.Exclusive(world.Root) });
        var harness = provider.GetRequiredService<ITestHarness>();
        var first = Requests.Check(world, release);
        var second = Requests.Check(world, release);

        await Task.WhenAll(harness.Bus.Publish(first), harness.Bus.Publish(second));

        Assert.That(await harness.Published.Any<HealthCheckPassed>(x => x.Context.Message.JobId == first.JobId), Is.True, "the first check got no answer");
        Assert.That(await harness.Published.Any<HealthCheckPassed>(x => x.Context.Message.JobId == second.JobId), Is.True, "the second check got no answer");
        Assert.Multiple(() =>
        {
            Assert.That(provider.GetRequiredService<IEnvironmentLocks>(), Is.TypeOf<InProcessEnvironmentLocks>());
            Assert.That(File.Exists(Path.Combine(release.Path, ".overlap")), Is.False, "two playbooks worked on the environment at once");
        });
    }
}

public sealed class When_two_runners_race_on_one_environment_with_postgresql
{
    [Test]
    public async Task Should_let_only_one_playbook_act_at_a_time()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Postgres);
        var settings = new Dictionary<string, string?>
        {
            ["Pressluft:Ledger:Provider"] = "Postgres",
            ["Pressluft:Ledger:ConnectionString"] = database.Options.ConnectionString,
            ["Pressluft:Ansible:WpCliPath"] = ScriptedWpCli.Exclusive(world.Root),
        };
        // Two runners: each its own bus and services, sharing only the ledger's PostgreSQL.
        await using var runnerA = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(), settings);
        await using var runnerB = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>(), settings);
        var harnessA = runnerA.GetRequiredService<ITestHarness>();
        var harnessB = runnerB.GetRequiredService<ITestHarness>();
        var first = Requests.Check(world, release);
        var second = Requests.Check(world, release);

        await Task.WhenAll(harnessA.Bus.Publish(first), harnessB.Bus.Publish(second));

        Assert.That(await harnessA.Published.Any<HealthCheckPassed>(x => x.Context.Message.JobId == first.JobId), Is.True, "runner A got no answer");
        Assert.That(await harnessB.Published.Any<HealthCheckPassed>(x => x.Context.Message.JobId == second.JobId), Is.True, "runner B got no answer");
        Assert.Multiple(() =>
        {
            Assert.That(runnerA.GetRequiredService<IEnvironmentLocks>(), Is.TypeOf<PostgresEnvironmentLocks>());
            Assert.That(File.Exists(Path.Combine(release.Path, ".overlap")), Is.False, "two runners' playbooks worked on the environment at once");
        });
    }
}

public sealed class The_postgresql_environment_lock
{
    [Test]
    public async Task Should_make_another_runner_wait_until_it_is_released()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Postgres);
        var runnerA = Locks(database);
        var runnerB = Locks(database);
        var environment = Guid.NewGuid();

        var held = await runnerA.AcquireAsync(environment, CancellationToken.None);
        var waiting = runnerB.AcquireAsync(environment, CancellationToken.None);
        Assert.That(await WaitersAsync(database, within: TimeSpan.FromSeconds(30)), Is.EqualTo(1), "runner B does not wait in PostgreSQL");
        await using var other = await runnerB.AcquireAsync(Guid.NewGuid(), CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False, "runner B took an environment runner A holds");

        await held.DisposeAsync();
        await using var taken = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(held.Waited, Is.False);
            Assert.That(other.Waited, Is.False, "another environment was held up");
            Assert.That(taken.Waited, Is.True);
        });
    }

    [Test]
    public async Task Should_be_freed_when_the_holders_connection_drops()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Postgres);
        var environment = Guid.NewGuid();
        var held = await Locks(database).AcquireAsync(environment, CancellationToken.None);

        // What PostgreSQL sees when a runner dies: its session ends.
        await TerminateHoldersAsync(database);

        await using var taken = await Locks(database).AcquireAsync(environment, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotThrowAsync(async () => await held.DisposeAsync(), "releasing a lock whose connection is gone");
    }

    [Test]
    public async Task Should_hold_many_environments_on_one_session()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Postgres);
        await using var runner = Locks(database);

        var held = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => runner.AcquireAsync(Guid.NewGuid(), CancellationToken.None)));
        var (sessions, locks) = await LockSessionsAsync(database);
        foreach (var environment in held)
        {
            await environment.DisposeAsync();
        }

        Assert.Multiple(async () =>
        {
            Assert.That(locks, Is.EqualTo(12), "an environment was not locked in PostgreSQL");
            Assert.That(sessions, Is.EqualTo(1), "a runner opened a connection per environment");
            Assert.That((await LockSessionsAsync(database)).Locks, Is.Zero, "a released environment stayed locked");
        });
    }

    [Test]
    public async Task Should_take_locks_again_after_its_session_was_ended()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Postgres);
        await using var runner = Locks(database);
        var environment = Guid.NewGuid();
        var before = await runner.AcquireAsync(environment, CancellationToken.None);
        await TerminateHoldersAsync(database);
        await before.DisposeAsync();

        await using var after = await runner.AcquireAsync(environment, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var waiting = Locks(database).AcquireAsync(environment, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That((await LockSessionsAsync(database)).Locks, Is.EqualTo(1), "the environment is not locked in PostgreSQL after the new session");
            Assert.That(await WaitersAsync(database, within: TimeSpan.FromSeconds(30)), Is.EqualTo(1), "another runner took the environment");
        });
        await after.DisposeAsync();
        await using var taken = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task Should_stop_waiting_when_cancelled()
    {
        await using var database = await TestDatabase.CreateAsync(LedgerProvider.Postgres);
        var environment = Guid.NewGuid();
        await using var held = await Locks(database).AcquireAsync(environment, CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = Locks(database).AcquireAsync(environment, cancel.Token);
        Assert.That(await WaitersAsync(database, within: TimeSpan.FromSeconds(30)), Is.EqualTo(1));
        await cancel.CancelAsync();

        Assert.That(async () => await waiting.WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await WaitersAsync(database, within: TimeSpan.Zero), Is.Zero, "the cancelled wait is still queued in PostgreSQL");
    }

    private static PostgresEnvironmentLocks Locks(TestDatabase database) =>
        new(database.Options.ConnectionString, NullLogger<PostgresEnvironmentLocks>.Instance);

    private static async Task TerminateHoldersAsync(TestDatabase database)
    {
        await using var admin = new NpgsqlConnection(database.Options.ConnectionString);
        await admin.OpenAsync();
        await using var terminate = new NpgsqlCommand(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = @class " +
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", admin);
        terminate.Parameters.AddWithValue("class", (long)PostgresEnvironmentLocks.LockClass);
        await terminate.ExecuteNonQueryAsync();
    }

    // The sessions holding environment locks of this database, and how many locks they hold.
    private static async Task<(long Sessions, long Locks)> LockSessionsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.Options.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "SELECT count(DISTINCT pid), count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = @class " +
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", connection);
        count.Parameters.AddWithValue("class", (long)PostgresEnvironmentLocks.LockClass);
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    // How many sessions wait for an environment lock; polled until one does, or the time is up.
    private static async Task<long> WaitersAsync(TestDatabase database, TimeSpan within)
    {
        await using var connection = new NpgsqlConnection(database.Options.ConnectionString);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid::bigint = @class", connection);
            count.Parameters.AddWithValue("class", (long)PostgresEnvironmentLocks.LockClass);
            var waiters = (long)(await count.ExecuteScalarAsync())!;
            if (waiters > 0 || DateTime.UtcNow >= deadline)
            {
                return waiters;
            }

            await Task.Delay(50);
        }
    }
}

// JobStarted is published straight to the bus; when that fails (the broker went away and the delivery was cancelled),
// the lock the job had taken must be let go, or no later job of the environment could ever take it.
public sealed class When_a_job_cannot_tell_it_started
{
    [Test]
    public async Task Should_let_the_environment_lock_go()
    {
        await using var world = AnsibleWorld.Create();
        await using var provider = await world.StartHarnessAsync(_ => { });
        await using var scope = provider.CreateAsyncScope();
        var locks = new InProcessEnvironmentLocks();
        var entrance = new JobEntrance(locks, scope.ServiceProvider.GetRequiredService<JobAdmission>(), BrokerGone.Bus(), TimeProvider.System,
            NullLogger<JobEntrance>.Instance);
        var environment = Guid.NewGuid();
        var job = new JobTicket(Guid.NewGuid(), 1, environment, JobTypes.HealthCheck, null, []);

        Assert.That(async () => await entrance.EnterAsync(job, (_, _) => Task.CompletedTask, CancellationToken.None),
            Throws.InstanceOf<OperationCanceledException>());
        await using var next = await locks.AcquireAsync(environment, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That(next.Waited, Is.False, "the failed job still held the environment");
    }

    // A confirm that never comes (the client lost it; the message itself arrived) holds the job no longer than
    // BrokerConfirm.Wait: it goes on, holding its lock, instead of waiting for ever before its playbook.
    [Test]
    public async Task Should_go_on_when_the_broker_never_confirms()
    {
        await using var world = AnsibleWorld.Create();
        await using var provider = await world.StartHarnessAsync(_ => { });
        await using var scope = provider.CreateAsyncScope();
        var locks = new InProcessEnvironmentLocks();
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var entrance = new JobEntrance(locks, scope.ServiceProvider.GetRequiredService<JobAdmission>(), ConfirmNeverComes.Bus(), new HurriedConfirmClock(),
            factory.CreateLogger<JobEntrance>());
        var job = new JobTicket(Guid.NewGuid(), 1, Guid.NewGuid(), JobTypes.HealthCheck, null, []);

        await using var held = await entrance.EnterAsync(job, (_, _) => Task.CompletedTask, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(held, Is.Not.Null, "the job was refused");
            Assert.That(ConfirmNeverComes.Published, Is.GreaterThan(0), "JobStarted was not published");
            Assert.That(logs.At(LogLevel.Warning), Has.One.Contains($"Job {job.JobId} attempt 1: the broker did not confirm JobStarted"));
        });
    }

    // An IBus whose publishes never complete until their token is cancelled: the message went, the confirm never comes.
    public class ConfirmNeverComes : System.Reflection.DispatchProxy
    {
        private static int _published;

        public static int Published => _published;

        public static MassTransit.IBus Bus() => Create<MassTransit.IBus, ConfirmNeverComes>();

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.ReturnType != typeof(Task) || args?.OfType<CancellationToken>().SingleOrDefault() is not { CanBeCanceled: true } token)
            {
                throw new NotSupportedException(targetMethod?.Name);
            }

            Interlocked.Increment(ref _published);
            return Task.Delay(Timeout.Infinite, token);
        }
    }

    // An IBus whose every call fails as a publish does when the broker is gone and the delivery is cancelled.
    public class BrokerGone : System.Reflection.DispatchProxy
    {
        public static MassTransit.IBus Bus() => Create<MassTransit.IBus, BrokerGone>();

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.ReturnType == typeof(Task) ? Task.FromCanceled(new CancellationToken(canceled: true)) : throw new OperationCanceledException();
    }
}

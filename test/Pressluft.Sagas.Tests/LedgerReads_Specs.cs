using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

/// <summary>
/// Opening a gate reads what it needs to know of the mutation's gate, site, environment and releases in one query (the
/// saga's check once its row is loaded, which also answers for the intake), and loads a row on its own only to change it: a
/// new environment's rows are all new, and of a recorded environment only the environment itself changes.
/// </summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class When_a_mutation_opens_a_gate(LedgerProvider ledger)
{
    [Test]
    public async Task Should_load_no_row_of_its_own_for_a_new_environment()
    {
        var reads = new ReaderCommands();
        await using var host = await GateTestHost.StartAsync(ledger, database: (_, o) => o.AddInterceptors(reads));
        var site = new SiteFixture();

        reads.Recording = true;
        var (_, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Silent);
        await host.SingleCheckRequestAsync();
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == mutation.MutationJobId);
        reads.Recording = false;

        Assert.Multiple(() =>
        {
            Assert.That(Checks(reads), Is.EqualTo(1), "one check, the saga's (after its row is loaded), for the intake too");
            Assert.That(RowLoads(reads), Is.Empty, "rows of the gate, site, environment or releases loaded one by one");
        });
    }

    [Test]
    public async Task Should_load_only_the_environment_it_changes_for_a_recorded_one()
    {
        var reads = new ReaderCommands();
        await using var host = await GateTestHost.StartAsync(ledger, database: (_, o) => o.AddInterceptors(reads));
        var site = new SiteFixture();
        var (first, firstMutation) = await host.DeployFirstAsync(site, CheckAnswer.Pass);
        await host.WaitForGateAsync(firstMutation.MutationJobId);

        var release = site.NewRelease("r2");
        host.Runner.Script(release.Id, [CheckAnswer.Silent]);
        var mutation = site.Mutation(release, first);
        reads.Recording = true;
        await host.PublishAsync(mutation);
        await host.CheckRequestAsync(r => r.Release.Id == release.Id);
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == mutation.MutationJobId);
        reads.Recording = false;

        Assert.Multiple(() =>
        {
            Assert.That(Checks(reads), Is.EqualTo(1), "one check, the saga's (after its row is loaded), for the intake too");
            // On PostgreSQL the environment came with the saga's row (SagaRowsLoader), in the same round trip.
            Assert.That(RowLoads(reads), Is.EqualTo(ledger == LedgerProvider.Postgres ? Array.Empty<string>() : new[] { "environments" }), "rows loaded one by one");
        });
    }

    // The check's union queries.
    private static int Checks(ReaderCommands reads) => reads.All.Count(c => c.Text.Contains("UNION ALL", StringComparison.Ordinal));

    // The tables of gates, sites, environments and releases that other queries read, one entry per table read.
    private static List<string> RowLoads(ReaderCommands reads) =>
        ReaderCommands.TablesRead(reads.All.Where(c => !c.Text.Contains("UNION ALL", StringComparison.Ordinal)), "gates", "sites", "environments", "releases");
}

/// <summary>
/// On PostgreSQL a saga's row comes with the ledger rows its transitions change (environment, site, current job, gate,
/// releases) in one round trip: an answer to a health check loads none of them one by one afterwards.
/// </summary>
public sealed class When_a_health_check_answer_arrives
{
    [Test]
    public async Task Should_find_its_job_gate_environment_and_release_loaded_with_the_saga()
    {
        var reads = new ReaderCommands();
        await using var host = await GateTestHost.StartAsync(LedgerProvider.Postgres, database: (_, o) => o.AddInterceptors(reads));
        var site = new SiteFixture();
        var (_, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Silent);
        var request = await host.SingleCheckRequestAsync();
        await host.WaitForStateAsync(site.EnvironmentId, m => m.HealthChecking);

        reads.Recording = true;
        await host.PublishAsync(new HealthCheckPassed
        {
            JobId = request.JobId,
            Attempt = request.Attempt,
            EnvironmentId = site.EnvironmentId,
            CompletedAt = DateTimeOffset.UtcNow,
        });
        await host.HandledAsync<HealthCheckPassed>(m => m.JobId == request.JobId);
        reads.Recording = false;
        var gate = await host.WaitForGateAsync(mutation.MutationJobId);

        Assert.Multiple(async () =>
        {
            Assert.That(gate.Outcome, Is.EqualTo(GateOutcomes.Passed));
            Assert.That((await host.JobsAsync(site.EnvironmentId)).Single().Status, Is.EqualTo(JobStatuses.Succeeded));
            Assert.That(RowLoads(reads), Is.Empty, "rows the answer changes loaded one by one after the saga's row");
        });
    }

    private static List<string> RowLoads(ReaderCommands reads) =>
        ReaderCommands.TablesRead(reads.All, "jobs", "gates", "sites", "environments", "releases", "release_lifecycle_sagas");
}

using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Sagas.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

/// <summary>
/// Opening a gate reads what it needs to know of the mutation's gate, site, environment and releases in one query (the
/// intake's check, asked again by the saga in its own unit of work), and loads a row on its own only to change it: a
/// new environment's rows are all new, and of a recorded environment only the environment itself changes.
/// </summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed partial class When_a_mutation_opens_a_gate(LedgerProvider ledger)
{
    [Test]
    public async Task Should_load_no_row_of_its_own_for_a_new_environment()
    {
        var reads = new LedgerReads();
        await using var host = await GateTestHost.StartAsync(ledger, database: (_, o) => o.AddInterceptors(reads));
        var site = new SiteFixture();

        reads.Recording = true;
        var (_, mutation) = await host.DeployFirstAsync(site, CheckAnswer.Silent);
        await host.SingleCheckRequestAsync();
        await host.HandledAsync<MutationCompleted>(m => m.MutationJobId == mutation.MutationJobId);
        reads.Recording = false;

        Assert.Multiple(() =>
        {
            Assert.That(reads.Checks, Is.EqualTo(2), "the intake's check and the saga's, one query each");
            Assert.That(reads.RowLoads, Is.Empty, "rows of the gate, site, environment or releases loaded one by one");
        });
    }

    [Test]
    public async Task Should_load_only_the_environment_it_changes_for_a_recorded_one()
    {
        var reads = new LedgerReads();
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
            Assert.That(reads.Checks, Is.EqualTo(2), "the intake's check and the saga's, one query each");
            Assert.That(reads.RowLoads, Is.EqualTo(new[] { "environments" }), "rows loaded one by one");
        });
    }

    /// <summary>Counts the ledger's reads of gates, sites, environments and releases: the check's union, and rows loaded one by one.</summary>
    private sealed partial class LedgerReads : DbCommandInterceptor
    {
        private readonly ConcurrentQueue<string> _rowLoads = new();
        private int _checks;
        private volatile bool _recording;

        public bool Recording
        {
            get => _recording;
            set => _recording = value;
        }

        public int Checks => _checks;

        public IReadOnlyList<string> RowLoads => [.. _rowLoads];

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (_recording)
            {
                var tables = LedgerTable().Matches(command.CommandText).Select(m => m.Groups["table"].Value).ToList();
                if (command.CommandText.Contains("UNION ALL", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _checks);
                }
                else
                {
                    tables.ForEach(_rowLoads.Enqueue);
                }
            }

            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        [GeneratedRegex("""FROM "?(?<table>gates|sites|environments|releases)"?\s""")]
        private static partial Regex LedgerTable();
    }
}

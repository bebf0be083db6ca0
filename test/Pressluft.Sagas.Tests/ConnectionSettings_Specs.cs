using Npgsql;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Sagas.Tests;

/// <summary>
/// The ledger's PostgreSQL connections: statements prepared automatically unless the operator's connection string says
/// otherwise, and no session reset on every pooled open (see <see cref="LedgerStore.ConfigurePostgres"/>).
/// </summary>
public sealed class When_the_ledger_connects_to_PostgreSQL
{
    [Test]
    public void Should_prepare_statements_automatically_by_default()
    {
        var settings = new NpgsqlConnectionStringBuilder(LedgerStore.PostgresConnectionString("Host=db;Database=pressluft;Username=p"));
        Assert.Multiple(() =>
        {
            Assert.That(settings.MaxAutoPrepare, Is.EqualTo(64));
            Assert.That(settings.AutoPrepareMinUsages, Is.EqualTo(2));
            Assert.That(settings.NoResetOnClose, Is.True);
            Assert.That(settings.Host, Is.EqualTo("db"));
        });
    }

    [TestCase("Max Auto Prepare=0", 0)]
    [TestCase("MaxAutoPrepare=0", 0)]
    [TestCase("max auto prepare=8", 8)]
    public void Should_keep_the_operators_own_setting(string setting, int expected)
    {
        var settings = new NpgsqlConnectionStringBuilder(LedgerStore.PostgresConnectionString($"Host=db;Database=pressluft;{setting}"));
        Assert.Multiple(() =>
        {
            Assert.That(settings.MaxAutoPrepare, Is.EqualTo(expected));
            Assert.That(settings.AutoPrepareMinUsages, Is.EqualTo(5), "Npgsql's own default when the operator chose");
        });
    }
}

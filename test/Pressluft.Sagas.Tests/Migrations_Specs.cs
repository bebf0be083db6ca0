using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Persistence;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

/// <summary>Each provider's migrations describe the model as it is: a model change without a migration fails here.</summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed class The_ledger_migrations(LedgerProvider ledger)
{
    [Test]
    public async Task Should_match_the_model_and_apply_to_an_empty_database()
    {
        await using var database = await TestDatabase.CreateAsync(ledger);
        await using var services = new ServiceCollection().AddPressluftLedger(database.Options).BuildServiceProvider();
        await services.MigrateLedgerAsync();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();

        Assert.Multiple(async () =>
        {
            Assert.That(db.Database.HasPendingModelChanges(), Is.False, "the model changed without a migration (dotnet ef migrations add)");
            Assert.That(await db.Database.GetPendingMigrationsAsync(), Is.Empty);
            Assert.That(await db.ReleaseLifecycleSagas.CountAsync(), Is.Zero);
        });
    }
}

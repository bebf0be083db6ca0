using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Runner.Tests.Support;

/// <summary>A PostgreSQL ledger nothing listens for: what EF Core really throws while the database is away.</summary>
public sealed class UnreachableLedger : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly AsyncServiceScope _scope;

    public UnreachableLedger()
    {
        Port = Ports.Free();
        var options = new LedgerOptions
        {
            Provider = LedgerProvider.Postgres,
            ConnectionString = $"Host=127.0.0.1;Port={Port};Database=pressluft;Username=pressluft;Password=pressluft;Timeout=2",
        };
        _services = new ServiceCollection().AddPressluftLedger(options).BuildServiceProvider();
        _scope = _services.CreateAsyncScope();
        Db = _scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
    }

    public int Port { get; }

    public PressluftDbContext Db { get; }

    /// <summary>What a query throws.</summary>
    public Exception ReadFailure() => Assert.CatchAsync(() => Db.InboxStates.AnyAsync())!;

    public async ValueTask DisposeAsync()
    {
        await _scope.DisposeAsync();
        await _services.DisposeAsync();
    }
}

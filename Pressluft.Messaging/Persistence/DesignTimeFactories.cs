using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Pressluft.Messaging.Persistence;

// Used by dotnet-ef only, to generate each provider's migrations; no database is opened.

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqlitePressluftDbContext>
{
    public SqlitePressluftDbContext CreateDbContext(string[] args) =>
        new((DbContextOptions<SqlitePressluftDbContext>)LedgerStore.ConfigureSqlite(new DbContextOptionsBuilder<SqlitePressluftDbContext>(), "Data Source=design.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresPressluftDbContext>
{
    public PostgresPressluftDbContext CreateDbContext(string[] args) =>
        new((DbContextOptions<PostgresPressluftDbContext>)LedgerStore.ConfigurePostgres(new DbContextOptionsBuilder<PostgresPressluftDbContext>(), "Host=localhost;Database=pressluft").Options);
}

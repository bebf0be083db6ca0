using Microsoft.EntityFrameworkCore;

namespace Pressluft.Messaging.Persistence;

/// <summary>The ledger on SQLite (the embedded default); its migrations live in <c>Migrations/Sqlite</c>.</summary>
public sealed class SqlitePressluftDbContext(DbContextOptions<SqlitePressluftDbContext> options) : PressluftDbContext(options);

/// <summary>The ledger on PostgreSQL; its migrations live in <c>Migrations/Postgres</c>.</summary>
public sealed class PostgresPressluftDbContext(DbContextOptions<PostgresPressluftDbContext> options) : PressluftDbContext(options);

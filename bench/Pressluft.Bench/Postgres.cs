using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Pressluft.Bench;

/// <summary>The bench's databases on the PostgreSQL it was given, and pgbench against the same cluster.</summary>
internal static partial class Postgres
{
    public static string WithDatabase(string connectionString, string database) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString;

    public static async Task RecreateAsync(string connectionString, string database)
    {
        await DropAsync(connectionString, database);
        await ExecuteAsync(connectionString, $"CREATE DATABASE \"{database}\"");
    }

    /// <summary>
    /// Drops <paramref name="database"/> with its sessions. FORCE cannot end a session of another role (an autovacuum
    /// worker still busy with the last run's tables): that is retried for a few seconds, until the worker is done.
    /// </summary>
    public static async Task DropAsync(string connectionString, string database)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync(connectionString, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
                return;
            }
            catch (PostgresException busy) when (busy.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse
                                                 && attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    /// <summary>
    /// Transactions committed in <paramref name="database"/> so far (<c>pg_stat_database</c>), after waiting out the
    /// second for which PostgreSQL may hold back a busy session's counts.
    /// </summary>
    public static async Task<long> CommittedTransactionsAsync(string connectionString, string database)
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = @database", connection);
        command.Parameters.AddWithValue("database", database);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.NextResultAsync();
        return await reader.ReadAsync() ? reader.GetInt64(0) : 0;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary><c>pgbench -N</c> (simple updates) with 4 clients for <paramref name="seconds"/>; returns its TPS.</summary>
    public static async Task<double> PgbenchAsync(string connectionString, int seconds)
    {
        var pgbench = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pgbench")).Where(File.Exists).Order().LastOrDefault()
            ?? "pgbench";
        await RunAsync(pgbench, connectionString, ["-i", "-q", "-s", "4"]);
        var output = await RunAsync(pgbench, connectionString, ["-N", "-c", "4", "-j", "2", "-T", seconds.ToString(CultureInfo.InvariantCulture)]);
        var match = Tps().Match(output);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"no TPS in pgbench output: {output}");
    }

    private static async Task<string> RunAsync(string pgbench, string connectionString, string[] arguments)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(pgbench, [.. arguments, settings.Database!])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PGHOST"] = settings.Host;
        start.Environment["PGPORT"] = settings.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = settings.Username;
        start.Environment["PGPASSWORD"] = settings.Password;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbench {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        }

        return await stdout + await stderr;
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex Tps();
}

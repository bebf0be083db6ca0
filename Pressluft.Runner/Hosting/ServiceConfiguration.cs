using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Pressluft.Messaging.Persistence;

namespace Pressluft.Runner.Hosting;

/// <summary>
/// Where configuration and state live, so the service and every CLI verb agree whatever the working folder:
/// <list type="bullet">
/// <item>configuration: <c>appsettings.json</c> beside the binary (defaults), then <c>PRESSLUFT_CONFIG</c> (set by
/// <c>--config</c>) or else <c>/etc/pressluft/appsettings.json</c> when it exists, then environment variables;</item>
/// <item>state: <c>Pressluft:StateDirectory</c>, else systemd's <c>$STATE_DIRECTORY</c>, else
/// <c>$XDG_STATE_HOME/pressluft</c> (<c>~/.local/state/pressluft</c>). A relative SQLite <c>Data Source</c> is a file there.</item>
/// </list>
/// </summary>
public static class ServiceConfiguration
{
    public const string ConfigFileVariable = "PRESSLUFT_CONFIG";
    public const string InstalledConfigFile = "/etc/pressluft/appsettings.json";
    public const string StateDirectoryKey = "Pressluft:StateDirectory";

    /// <summary>The configuration file read after the defaults, if any.</summary>
    public static string? ConfigFile() =>
        Environment.GetEnvironmentVariable(ConfigFileVariable) is { Length: > 0 } chosen ? chosen
        : File.Exists(InstalledConfigFile) ? InstalledConfigFile
        : null;

    /// <summary>Inserts the configuration file ahead of the environment variables and anchors the SQLite file in the state folder.</summary>
    public static void Apply(IConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (ConfigFile() is { } file)
        {
            var full = Path.GetFullPath(file);
            var source = new JsonConfigurationSource
            {
                FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(full)!),
                Path = Path.GetFileName(full),
                Optional = false,
                ReloadOnChange = true,
            };
            var environment = builder.Sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource);
            builder.Sources.Insert(environment < 0 ? builder.Sources.Count : environment, source);
        }

        var configuration = builder.Build();
        var state = StateDirectory(configuration);
        var ledger = configuration.GetSection(LedgerOptions.SectionName).Get<LedgerOptions>() ?? new LedgerOptions();
        if (ledger.Provider == LedgerProvider.Sqlite && AnchoredSqlite(ledger.ConnectionString, state) is { } anchored)
        {
            builder.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [StateDirectoryKey] = state,
                [$"{LedgerOptions.SectionName}:ConnectionString"] = anchored,
            });
        }
    }

    public static string StateDirectory(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[StateDirectoryKey] is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        if (Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } systemd)
        {
            // systemd's StateDirectory= may list several folders, separated by colons; ours is the first.
            return systemd.Split(':')[0];
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(xdg, "pressluft");
    }

    /// <summary>The connection string with a relative <c>Data Source</c> made absolute under <paramref name="state"/>; null when nothing changes.</summary>
    private static string? AnchoredSqlite(string connectionString, string state)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:" || Path.IsPathRooted(builder.DataSource)
            || builder.Mode == SqliteOpenMode.Memory)
        {
            return null;
        }

        builder.DataSource = Path.Combine(state, builder.DataSource);
        return builder.ConnectionString;
    }

    /// <summary>The SQLite file a connection string names, or null for another provider or an in-memory database.</summary>
    public static string? SqliteFile(LedgerOptions ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        if (ledger.Provider != LedgerProvider.Sqlite)
        {
            return null;
        }

        var source = new SqliteConnectionStringBuilder(ledger.ConnectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:" ? null : source;
    }
}

using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Text.Json;
using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pressluft.Runner.Commands;

/// <summary>
/// Turns whatever ended a verb into one line on standard error (what went wrong, which key or host:port, what to do)
/// and an exit code; the stack trace only with <c>--verbose</c>.
/// </summary>
public static partial class CliErrors
{
    private static readonly IAnsiConsole Console = CreateErrorConsole();

    private static IAnsiConsole CreateErrorConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });
        if (System.Console.IsErrorRedirected)
        {
            // A script reads one error per line; do not wrap it at a guessed terminal width.
            console.Profile.Width = 4096;
        }

        return console;
    }

    /// <summary>Writes <c>error: message</c>. Plain text, never markup: configuration keys such as <c>Pressluft:Ledger:Provider</c> stay as typed.</summary>
    public static void Write(string message)
    {
        Console.Write(new Text("error: ", new Style(Color.Red)));
        Console.Write(new Text(message));
        Console.WriteLine();
    }

    /// <summary>Writes a note that is not an error (e.g. which way the CLI reached the service).</summary>
    public static void Note(string message)
    {
        Console.Write(new Text("note: ", new Style(Color.Grey)));
        Console.Write(new Text(message));
        Console.WriteLine();
    }

    /// <summary>The CLI's exception handler: reports <paramref name="exception"/> and returns the exit code.</summary>
    /// <param name="exception">What ended the verb.</param>
    /// <param name="verbose">Add the stack trace.</param>
    /// <param name="args">The command line, to name the option a bad value was given to.</param>
    public static int Handle(Exception exception, bool verbose, IReadOnlyList<string> args)
    {
        var (code, message) = Describe(exception, args);
        Write(message);
        if (verbose)
        {
            Console.WriteLine(exception.ToString());
        }

        return code;
    }

    public static (int Code, string Message) Describe(Exception exception, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var chain = Chain(exception).ToList();
        if (chain.OfType<UsageException>().FirstOrDefault() is { } usage)
        {
            return (ExitCodes.BadInput, OptionOf(usage.Value, args) is { } option ? $"{option}: {usage.Message}" : usage.Message);
        }

        if (chain.OfType<LedgerNotReadyException>().FirstOrDefault() is { } notReady)
        {
            return (ExitCodes.Failed, notReady.Message);
        }

        if (chain.OfType<CommandAppException>().FirstOrDefault() is { } parse)
        {
            return (ExitCodes.BadInput, $"{parse.Message.TrimEnd('.')}; see pressluft --help");
        }

        if (chain.OfType<OptionsValidationException>().FirstOrDefault() is { } options)
        {
            return (ExitCodes.BadInput, $"configuration is invalid: {string.Join("; ", options.Failures.Select(f => NameTheKey(options.OptionsType, f)))}");
        }

        if (chain.OfType<InvalidOperationException>().FirstOrDefault(e => e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal)) is { } binding)
        {
            return (ExitCodes.BadInput, $"configuration is invalid: {binding.Message.TrimEnd('.')}");
        }

        if (chain.OfType<InvalidDataException>().FirstOrDefault() is { } file && chain.OfType<JsonException>().Any())
        {
            return (ExitCodes.BadInput, $"{file.Message.TrimEnd('.')}: {chain.OfType<JsonException>().First().Message}");
        }

        if (chain.OfType<RabbitMqConnectionException>().FirstOrDefault() is { } rabbit)
        {
            return (ExitCodes.Failed, $"cannot reach RabbitMQ ({rabbit.Message}); check Pressluft:Transport:RabbitMqUrl and that the broker runs");
        }

        if (chain.OfType<NpgsqlException>().FirstOrDefault() is { } postgres)
        {
            var socket = chain.OfType<SocketException>().FirstOrDefault();
            return (ExitCodes.Failed, socket is null
                ? $"PostgreSQL: {postgres.Message}; check Pressluft:Ledger:ConnectionString"
                : $"cannot reach PostgreSQL ({postgres.Message}); check Pressluft:Ledger:ConnectionString and that the server runs");
        }

        if (chain.OfType<SqliteException>().FirstOrDefault() is { } sqlite)
        {
            return (ExitCodes.Failed, $"SQLite ledger: {sqlite.Message}; check Pressluft:Ledger:ConnectionString and Pressluft:StateDirectory");
        }

        if (chain.OfType<HttpRequestException>().FirstOrDefault() is { } http)
        {
            return (ExitCodes.Failed, $"cannot reach the service over HTTP ({http.Message}); check Pressluft:Http:Url and that `pressluft run` is running");
        }

        return (ExitCodes.Failed, $"{exception.GetType().Name}: {exception.Message}");
    }

    /// <summary>
    /// DataAnnotations name the class and member (<c>'AnsibleOptions' members: 'CheckRetries'</c>); an operator edits
    /// the key, so name that (<c>Pressluft:Ansible:CheckRetries</c>).
    /// </summary>
    private static string NameTheKey(Type optionsType, string failure)
    {
        var section = optionsType.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as string;
        var match = DataAnnotationFailure().Match(failure);
        return section is null || !match.Success ? failure : $"{section}:{match.Groups["member"].Value}: {match.Groups["error"].Value}";
    }

    [GeneratedRegex("members: '(?<member>[A-Za-z0-9_]+)' with the error: '(?<error>.*?)\\.?'\\.?$")]
    private static partial Regex DataAnnotationFailure();

    /// <summary>The option a value was given to (<c>--site</c> for <c>--site shop</c>), or null.</summary>
    private static string? OptionOf(string? value, IReadOnlyList<string> args)
    {
        if (value is null)
        {
            return null;
        }

        for (var i = 1; i < args.Count; i++)
        {
            if (args[i] == value && args[i - 1].StartsWith('-'))
            {
                return args[i - 1];
            }

            if (args[i].StartsWith('-') && args[i].EndsWith("=" + value, StringComparison.Ordinal))
            {
                return args[i][..args[i].IndexOf('=', StringComparison.Ordinal)];
            }
        }

        return null;
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException { InnerExceptions.Count: > 0 } aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }

                yield break;
            }
        }
    }
}

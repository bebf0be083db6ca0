using System.Text.RegularExpressions;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>The CLI as a script sees it: strict parsing, exit codes 0/1/2, one line per error on standard error.</summary>
public sealed class When_the_cli_is_given_bad_input
{
    private string _state = "";

    [SetUp]
    public void CreateStateDirectory() => _state = Directory.CreateTempSubdirectory("pressluft-cli-").FullName;

    [TearDown]
    public void RemoveStateDirectory() => Directory.Delete(_state, recursive: true);

    private Task<CliResult> Run(params string[] arguments) => Run(new Dictionary<string, string?>(), arguments);

    private Task<CliResult> Run(Dictionary<string, string?> settings, params string[] arguments) => RunIn(null, settings, arguments);

    private Task<CliResult> RunIn(string? workingDirectory, Dictionary<string, string?> settings, params string[] arguments)
    {
        settings["Pressluft:StateDirectory"] = _state;
        return Cli.RunInAsync(workingDirectory, settings, arguments);
    }

    [Test]
    public async Task Should_refuse_an_unknown_flag_with_exit_code_2_and_one_line()
    {
        var result = await Run("status", "--jsn");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.Output, Is.Empty, result.ToString());
            Assert.That(result.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), result.ToString());
            Assert.That(result.Error, Does.Contain("Unknown option 'jsn'"));
        });
    }

    [Test]
    public async Task Should_refuse_an_unknown_verb_instead_of_starting_the_service()
    {
        var result = await Run("statsu");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.Error, Does.Contain("Unknown command 'statsu'"));
            Assert.That(Directory.EnumerateFileSystemEntries(_state), Is.Empty, "nothing was created");
        });
    }

    [Test]
    public async Task Should_print_the_version_and_exit_0()
    {
        var result = await Run("--version");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Output.Trim(), Does.Match(@"^\d+\.\d+\.\d+"));
            Assert.That(result.Error, Is.Empty);
        });
    }

    [Test]
    public async Task Should_name_the_option_whose_value_is_not_a_uuid()
    {
        var result = await Run("status", "--environment", "shop");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.Error.Trim(), Does.StartWith("error: --environment: 'shop' is not a UUID"));
            Assert.That(result.Error, Does.Not.Contain("Nullable"));
            Assert.That(result.Error, Does.Not.Contain("   at "), "no stack trace without --verbose");
        });
    }

    [Test]
    public async Task Should_show_the_stack_trace_only_with_verbose()
    {
        var result = await Run("status", "--environment", "shop", "--verbose");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.Error, Does.Contain("   at "));
        });
    }

    [Test]
    public async Task Should_name_a_bad_configuration_key_as_typed()
    {
        var result = await Run(new Dictionary<string, string?> { ["Pressluft:Ledger:Provider"] = "Oracle" }, "status");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.Error, Does.Contain("'Pressluft:Ledger:Provider'"), "the key as typed, not rendered as an emoji");
            Assert.That(result.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), result.ToString());
        });
    }

    [Test]
    public async Task Should_say_there_is_no_ledger_yet_without_creating_one_or_logging_errors()
    {
        var result = await Run("status");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            Assert.That(result.Error.Trim(), Is.EqualTo(
                $"error: no ledger at {Path.Combine(_state, "pressluft.db")} yet: start the service (`pressluft run`, which migrates) or run `pressluft migrate`"));
            Assert.That(File.Exists(Path.Combine(_state, "pressluft.db")), Is.False);
        });
    }

    [Test]
    public async Task Should_keep_the_sqlite_ledger_in_the_state_directory_whatever_the_working_folder()
    {
        var migrate = await RunIn(Directory.CreateDirectory(Path.Combine(_state, "one")).FullName, [], "migrate");
        var status = await RunIn(Directory.CreateDirectory(Path.Combine(_state, "two")).FullName, [], "status", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(migrate.ExitCode, Is.Zero, migrate.ToString());
            Assert.That(File.Exists(Path.Combine(_state, "pressluft.db")), Is.True, migrate.ToString());
            Assert.That(status.ExitCode, Is.Zero, status.ToString());
            Assert.That(Regex.IsMatch(status.Error, @"\b(ERR|FTL)\b"), Is.False, status.ToString());
        });
    }

    [Test]
    public async Task Should_keep_watching_and_print_a_json_document_per_line()
    {
        var migrate = await Run("migrate");
        Assert.That(migrate.ExitCode, Is.Zero, migrate.ToString());
        using var watch = Cli.Start(["status", "--watch", "--json", "--interval", "1"], new Dictionary<string, string?> { ["Pressluft:StateDirectory"] = _state });
        try
        {
            var first = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
            var document = System.Text.Json.JsonDocument.Parse(first!).RootElement;

            Assert.Multiple(() =>
            {
                Assert.That(document.GetProperty("environments").GetArrayLength(), Is.Zero);
                Assert.That(watch.HasExited, Is.False, "--watch keeps running until stopped");
            });
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
            await watch.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}

using System.Reflection;
using System.Text.RegularExpressions;
using Pressluft.Runner.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Runner.Tests;

/// <summary>docs/operations.md says exactly what the CLI's --help says and names exactly the configuration keys the service reads.</summary>
public sealed partial class The_operations_page
{
    private static readonly string[] Verbs = ["", "run", "status", "job", "publish-mutation", "reset-environment", "migrate", "demo"];

    private static string Page() => File.ReadAllText(Path.Combine(Repository.Root, "docs", "operations.md"));

    [TestCaseSource(nameof(Verbs))]
    public async Task Should_show_the_help_of_each_verb_as_the_cli_prints_it(string verb)
    {
        var help = await Cli.RunAsync(new Dictionary<string, string?>(), verb.Length == 0 ? ["--help"] : [verb, "--help"]);
        var marker = $"<!-- help: {(verb.Length == 0 ? "(none)" : verb)} -->\n```text\n";
        var page = Page();
        var start = page.IndexOf(marker, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"docs/operations.md has no block marked {marker.Trim()}");
        var documented = page[(start + marker.Length)..page.IndexOf("\n```", start + marker.Length, StringComparison.Ordinal)];

        Assert.Multiple(() =>
        {
            Assert.That(help.ExitCode, Is.Zero, help.ToString());
            Assert.That(documented, Is.EqualTo(Normalize(help.Output)),
                $"the help of `pressluft {verb}` changed; paste its output (trailing spaces trimmed) into docs/operations.md");
        });
    }

    [Test]
    public void Should_list_every_configuration_key_and_no_other()
    {
        var page = Page();
        var table = page[page.IndexOf("<!-- configuration keys -->", StringComparison.Ordinal)..page.IndexOf("<!-- /configuration keys -->", StringComparison.Ordinal)];
        var documented = DocumentedKey().Matches(table).Select(m => m.Groups["key"].Value).ToHashSet();

        Assert.That(documented, Is.EquivalentTo(ReadKeys()));
    }

    /// <summary>
    /// Every settable property of every options class (a class with a <c>SectionName</c> under <c>Pressluft:</c>) in
    /// the service's assemblies, plus the keys read directly from configuration.
    /// </summary>
    private static HashSet<string> ReadKeys()
    {
        var assemblies = new[] { typeof(Hosting.RunnerHost), typeof(Messaging.Persistence.LedgerOptions), typeof(Sagas.Gate.HealthGateOptions) }
            .Select(t => t.Assembly);
        var keys = new HashSet<string> { Hosting.ServiceConfiguration.StateDirectoryKey, "Pressluft:Logging:Format" };
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is not string section || !section.StartsWith("Pressluft:", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                keys.Add(property.Name == nameof(Sagas.Gate.HealthGateOptions.Operations) && type == typeof(Sagas.Gate.HealthGateOptions)
                    ? $"{section}:Operations:<job_type>:Mode"
                    : $"{section}:{property.Name}");
            }
        }

        return keys;
    }

    private static string Normalize(string output) =>
        string.Join("\n", output.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n');

    [GeneratedRegex(@"^\| `(?<key>Pressluft:[^`]+)`", RegexOptions.Multiline)]
    private static partial Regex DocumentedKey();
}

using System.Text.Json.Nodes;
using Pressluft.Runner.Reporting;
using Pressluft.Testing;

namespace Pressluft.Runner.Tests;

/// <summary>The published JSON Schemas say what the C# contracts are; a change to either without the other fails here.</summary>
public sealed class The_published_contract_schemas
{
    private static IEnumerable<TestCaseData> Schemas() =>
        ContractSchemas.All().Select(s => new TestCaseData(s.File, s.Schema).SetName($"docs/contracts/{s.File} matches the C# type"));

    [TestCaseSource(nameof(Schemas))]
    public void Should_match_the_csharp_types(string file, string generated)
    {
        var path = Path.Combine(Repository.Root, "docs", "contracts", file);
        Assert.That(File.Exists(path), Is.True, $"{path} is missing; run `pressluft schemas docs/contracts`");
        var committed = JsonNode.Parse(File.ReadAllText(path));
        Assert.That(JsonNode.DeepEquals(committed, JsonNode.Parse(generated)), Is.True,
            $"{file} differs from the C# contract; if the change is intended, run `pressluft schemas docs/contracts` and commit it");
    }

    [Test]
    public void Should_require_what_the_gate_cannot_do_without()
    {
        var schema = JsonNode.Parse(ContractSchemas.All().Single(s => s.File == "mutation-completed.schema.json").Schema)!;
        var required = schema["required"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.That(required, Is.SupersetOf(new[] { "mutationJobId", "jobType", "siteId", "environmentId", "node", "environmentUrl", "release", "completedAt" }));
    }
}

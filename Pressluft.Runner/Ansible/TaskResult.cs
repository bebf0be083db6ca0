using System.Text.Json;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// One task result of one host, as the <c>pressluft.gate.json_lines</c> callback printed it: the module's return value
/// exactly as it came back (node output in it is text, never a template).
/// </summary>
/// <param name="Task">The task's name.</param>
/// <param name="Action">The module, by FQCN.</param>
/// <param name="Status"><c>ok</c>, <c>failed</c>, <c>ignored</c>, <c>unreachable</c> or <c>skipped</c>.</param>
/// <param name="Result">The module's return value.</param>
public sealed record TaskResult(string Task, string Action, string Status, JsonElement Result)
{
    /// <summary>A string member of the result, when it has one; node text, so cleaned (<see cref="NodeText"/>).</summary>
    public string? Text(string name) =>
        Result.ValueKind == JsonValueKind.Object && Result.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? NodeText.Clean(value.GetString())
            : null;
}

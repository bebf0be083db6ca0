using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using Pressluft.Contracts;
using Pressluft.Messaging.Bus;

namespace Pressluft.Runner.Reporting;

/// <summary>JSON Schemas of the public contracts, as other services see them on the wire (camelCase JSON).</summary>
public static class ContractSchemas
{
    // As MassTransit's System.Text.Json serializer reads messages: camelCase names, numbers as numbers.
    private static readonly JsonSerializerOptions Wire = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>(file name, schema text) for every public contract; the file is named after its exchange.</summary>
    public static IEnumerable<(string File, string Schema)> All()
    {
        foreach (var type in ContractTopology.PublicContracts)
        {
            var exchange = ContractTopology.EntityNames[type];
            var schema = JsonSchemaExporter.GetJsonSchemaAsNode(Wire, type, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
            var document = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$id"] = $"https://pressluft.example/contracts/{exchange["pressluft.".Length..]}.schema.json",
                ["title"] = type.Name,
                ["description"] = $"Published to the fanout exchange '{exchange}'.",
            };
            foreach (var (key, value) in schema.AsObject().ToList())
            {
                document[key] = value?.DeepClone();
            }

            yield return ($"{exchange["pressluft.".Length..]}.schema.json", document.ToJsonString(Indented) + "\n");
        }
    }
}

namespace Pressluft.Messaging.Persistence;

/// <summary>What the statements the ledger builds from its model for PostgreSQL share.</summary>
internal static class PostgresSql
{
    /// <summary>A table or column name as a quoted identifier.</summary>
    public static string Quoted(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

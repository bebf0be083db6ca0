using Spectre.Console;

namespace Pressluft.Runner.Reporting;

/// <summary>Colours a status word the same way in every table: good green, bad red, in between yellow.</summary>
public static class StatusMarkup
{
    public static string For(string status) => status switch
    {
        "active" or "healthy" or "succeeded" or "passed" or "rolled_back" => $"[green]{Markup.Escape(status)}[/]",
        "failed" or "unhealthy" => $"[red]{Markup.Escape(status)}[/]",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    };
}

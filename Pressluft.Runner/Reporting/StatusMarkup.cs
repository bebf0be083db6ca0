using Spectre.Console;

namespace Pressluft.Runner.Reporting;

/// <summary>Colours a status word the same way everywhere: good green, bad red, in between yellow.</summary>
public static class StatusMarkup
{
    public static string For(string status) => Paint(status, status);

    /// <summary><paramref name="text"/> (escaped) in the colour of <paramref name="status"/>.</summary>
    public static string Paint(string status, string text) => status switch
    {
        "active" or "healthy" or "succeeded" or "passed" or "rolled_back" => $"[green]{Markup.Escape(text)}[/]",
        "failed" or "unhealthy" => $"[red]{Markup.Escape(text)}[/]",
        _ => $"[yellow]{Markup.Escape(text)}[/]",
    };
}

using Spectre.Console;
using Spectre.Console.Rendering;

namespace Pressluft.Runner.Reporting;

/// <summary>How a column of an <see cref="IdSafeTable"/> behaves.</summary>
public enum ColumnKind
{
    /// <summary>A short value, always shown.</summary>
    Plain,

    /// <summary>A UUID: never wrapped, always shown.</summary>
    Id,

    /// <summary>A short value shown only on a wide console.</summary>
    WideOnly,

    /// <summary>Free text that may quote ids: a column on a wide console, else a line under the table.</summary>
    Text,
}

/// <summary>
/// A table whose ids stay whole at any width: id columns never wrap, and free text, which may quote ids, becomes a line
/// of its own under the table when the console is too narrow to give it a column wider than an id.
/// </summary>
public sealed class IdSafeTable(string title, int width)
{
    /// <summary>Below this many columns, text moves under the table and wide-only columns are left out.</summary>
    public const int WideFrom = 140;

    private readonly List<(string Header, ColumnKind Kind)> _columns = [];
    private readonly List<string[]> _rows = [];

    private bool Wide => width >= WideFrom;

    public IdSafeTable Column(string header, ColumnKind kind = ColumnKind.Plain)
    {
        _columns.Add((header, kind));
        return this;
    }

    /// <summary>One row: a markup cell per column, in order.</summary>
    public IdSafeTable Row(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _columns.Count)
        {
            throw new ArgumentException($"{cells.Length} cells for {_columns.Count} columns", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    public IRenderable Build()
    {
        var shown = _columns.Select((c, i) => (c.Header, c.Kind, Index: i))
            .Where(c => Wide || c.Kind is ColumnKind.Plain or ColumnKind.Id)
            .ToList();
        var table = new Table().Title($"[bold]{Markup.Escape(title)}[/]");
        foreach (var (header, kind, _) in shown)
        {
            table.AddColumn(kind == ColumnKind.Id ? new TableColumn(header).NoWrap() : new TableColumn(header));
        }

        foreach (var row in _rows)
        {
            table.AddRow(shown.Select(c => row[c.Index]).ToArray());
        }

        if (Wide || !_columns.Any(c => c.Kind == ColumnKind.Text))
        {
            return table;
        }

        // Narrow: each row's text under the table, keyed by the row's first id (or first cell).
        var key = _columns.FindIndex(c => c.Kind == ColumnKind.Id) is var id and >= 0 ? id : 0;
        var notes = _rows.SelectMany(row => _columns.Select((c, i) => (c, i))
                .Where(x => x.c.Kind == ColumnKind.Text && row[x.i].Length > 0)
                .Select(x => (IRenderable)new Markup($"[grey]{row[key]}[/] {Markup.Escape(x.c.Header)}: {row[x.i]}")))
            .ToList();
        return new Rows([table, .. notes]);
    }
}

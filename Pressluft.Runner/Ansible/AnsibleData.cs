using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Writes variables for Ansible as YAML in which every string is tagged <c>!unsafe</c>. Ansible renders Jinja2 inside
/// any variable it is given, extra-vars and inventory alike, and a JSON file does not stop it; a string tagged
/// <c>!unsafe</c> is never templated, however it is used later (Ansible's documented way to pass data that may hold
/// <c>{{ }}</c> or <c>{% %}</c>). Strings are written as YAML double-quoted scalars with every character outside
/// printable Unicode escaped, so no value can end its scalar or start another node.
/// </summary>
public static partial class AnsibleData
{
    /// <summary>One YAML mapping per line of <paramref name="variables"/>, each value in flow style.</summary>
    public static string ToYaml(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var yaml = new StringBuilder("---\n");
        foreach (var (name, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            yaml.Append(Key(name)).Append(": ");
            Write(yaml, value);
            yaml.Append('\n');
        }

        return yaml.ToString();
    }

    private static void Write(StringBuilder yaml, object? value)
    {
        switch (value)
        {
            case null:
                yaml.Append("null");
                break;
            case string text:
                yaml.Append("!unsafe ");
                Quote(yaml, text);
                break;
            case bool flag:
                yaml.Append(flag ? "true" : "false");
                break;
            case int or long or short or byte:
                yaml.Append(Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
                break;
            case Guid id:
                Write(yaml, id.ToString());
                break;
            case IEnumerable<KeyValuePair<string, object?>> map:
                yaml.Append('{');
                var firstEntry = true;
                foreach (var (name, item) in map)
                {
                    yaml.Append(firstEntry ? "" : ", ").Append(Key(name)).Append(": ");
                    Write(yaml, item);
                    firstEntry = false;
                }

                yaml.Append('}');
                break;
            case IEnumerable list:
                yaml.Append('[');
                var firstItem = true;
                foreach (var item in list)
                {
                    yaml.Append(firstItem ? "" : ", ");
                    Write(yaml, item);
                    firstItem = false;
                }

                yaml.Append(']');
                break;
            default:
                throw new ArgumentException($"Ansible variables hold strings, whole numbers, booleans, lists and maps; not {value.GetType().Name}", nameof(value));
        }
    }

    // Names are ours (extra-vars, inventory keys), but they are checked all the same, and quoted so that no name can be
    // read as anything but a string (YAML 1.1 reads a bare `on` or `null` as a boolean or null).
    private static string Key(string name) =>
        VariableName().IsMatch(name) ? $"\"{name}\"" : throw new ArgumentException($"'{name}' is not an Ansible variable name", nameof(name));

    private static void Quote(StringBuilder yaml, string text)
    {
        yaml.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"' || c == '\\')
            {
                yaml.Append('\\').Append(c);
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                yaml.Append(c).Append(text[++i]);
            }
            else if ((c is (>= ' ' and <= '~') or (>= '\u00a0' and <= '\ud7ff') or (>= '\ue000' and <= '\ufffd')) && c is not ('\u2028' or '\u2029'))
            {
                yaml.Append(c);
            }
            else if (char.IsSurrogate(c))
            {
                yaml.Append("\\ufffd");
            }
            else
            {
                // Control characters and line breaks (U+0085, U+2028 and U+2029 included): escaped, so the scalar stays
                // on one line and keeps the white space around them.
                yaml.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        yaml.Append('"');
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex VariableName();
}

using System.Collections.Concurrent;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// The Python that runs <c>playbook-launcher.py</c> when none is configured: the one that runs ansible-playbook itself,
/// read from its <c>#!</c> line (it is certain to be installed, and the launcher needs only its standard library), else
/// <c>python3</c> on PATH. Going through PATH can cost every run a tenth of a second or more: with a version manager,
/// <c>python3</c> on PATH is a shell script (pyenv's shim) that starts a second program before Python.
/// </summary>
public static class LauncherPython
{
    /// <summary>Used when ansible-playbook's own interpreter cannot be told.</summary>
    public const string Fallback = "python3";

    private static readonly ConcurrentDictionary<string, string> Resolved = new(StringComparer.Ordinal);

    /// <summary>
    /// The Python for <paramref name="ansiblePlaybook"/> (a name on PATH or a path). A Python found is remembered while
    /// it exists (Ansible reinstalled on another Python is followed); the fallback is never remembered.
    /// </summary>
    public static string For(string ansiblePlaybook)
    {
        if (Resolved.TryGetValue(ansiblePlaybook, out var known) && File.Exists(known))
        {
            return known;
        }

        if (InterpreterOf(ansiblePlaybook) is { } python)
        {
            Resolved[ansiblePlaybook] = python;
            return python;
        }

        Resolved.TryRemove(ansiblePlaybook, out _);
        return Fallback;
    }

    /// <summary>The absolute Python named by the <c>#!</c> line of <paramref name="ansiblePlaybook"/>, or null.</summary>
    public static string? InterpreterOf(string ansiblePlaybook) =>
        Locate(ansiblePlaybook) is { } file && Shebang(file) is { } line ? line.Python : null;

    /// <summary>
    /// ansible-playbook's full path and its Python, when its <c>#!</c> line is an absolute Python alone (no options), so
    /// that <c>&lt;python&gt; &lt;script&gt;</c> starts it exactly as the kernel would; else null.
    /// </summary>
    public static (string Python, string Program)? ScriptOf(string ansiblePlaybook) =>
        Locate(ansiblePlaybook) is { } file && Shebang(file) is { HasOptions: false } line ? (line.Python, file) : null;

    // "#!/usr/bin/python3" or "#! /opt/venv/bin/python -E"; "#!/usr/bin/env python3" goes through PATH, as the fallback does.
    private static (string Python, bool HasOptions)? Shebang(string file)
    {
        string? first;
        try
        {
            using var reader = new StreamReader(file);
            first = reader.ReadLine();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (first is null || !first.StartsWith("#!", StringComparison.Ordinal) || first.Length > 512)
        {
            return null;
        }

        var parts = first[2..].Trim().Split(' ', 2, StringSplitOptions.TrimEntries);
        var interpreter = parts[0];
        return Path.IsPathRooted(interpreter) && Path.GetFileName(interpreter).StartsWith("python", StringComparison.Ordinal) && File.Exists(interpreter)
            ? (interpreter, parts.Length > 1 && parts[1].Length > 0)
            : null;
    }

    private static string? Locate(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
    }
}

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
    public static string? InterpreterOf(string ansiblePlaybook)
    {
        if (Locate(ansiblePlaybook) is not { } file)
        {
            return null;
        }

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

        // "#!/usr/bin/python3" or "#! /opt/venv/bin/python -E"; "#!/usr/bin/env python3" goes through PATH, as the fallback does.
        var interpreter = first[2..].Trim().Split(' ', 2)[0];
        return Path.IsPathRooted(interpreter) && Path.GetFileName(interpreter).StartsWith("python", StringComparison.Ordinal) && File.Exists(interpreter)
            ? interpreter
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

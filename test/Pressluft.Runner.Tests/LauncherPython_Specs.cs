using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Tests;

/// <summary>The launcher runs on the Python that runs ansible-playbook, not on whatever <c>python3</c> on PATH is.</summary>
public sealed class The_launcher_python
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("pressluft-launcher-python-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void Should_be_the_python_named_on_the_line_that_starts_ansible_playbook()
    {
        var python = Script("python3.11", "#!/bin/sh\n");
        var playbook = Script("ansible-playbook", $"#!{python} -E\nimport sys\n");

        Assert.That(LauncherPython.InterpreterOf(playbook), Is.EqualTo(python));
    }

    [TestCase("#!/bin/sh\n", TestName = "a shell script (a stand-in)")]
    [TestCase("#!/usr/bin/env python3\n", TestName = "env (found on PATH, as the fallback is)")]
    [TestCase("#!python3\n", TestName = "a relative interpreter")]
    [TestCase("print('no #! line')\n", TestName = "no #! line")]
    [TestCase("", TestName = "an empty file")]
    public void Should_fall_back_to_python3_on_PATH_for(string firstLine)
    {
        var playbook = Script("ansible-playbook", firstLine);

        Assert.Multiple(() =>
        {
            Assert.That(LauncherPython.InterpreterOf(playbook), Is.Null);
            Assert.That(LauncherPython.For(playbook), Is.EqualTo(LauncherPython.Fallback));
        });
    }

    [Test]
    public void Should_fall_back_when_the_named_python_is_not_there()
    {
        var playbook = Script("ansible-playbook", $"#!{Path.Combine(_folder, "python3-gone")}\n");

        Assert.That(LauncherPython.InterpreterOf(playbook), Is.Null);
    }

    [Test]
    public void Should_fall_back_when_ansible_playbook_is_not_found()
    {
        Assert.That(LauncherPython.For(Path.Combine(_folder, "no-such-ansible-playbook")), Is.EqualTo(LauncherPython.Fallback));
    }

    [Test]
    public void Should_use_a_configured_python_as_it_is()
    {
        var playbook = Script("ansible-playbook", "#!/usr/bin/python3\n");
        var options = new AnsibleOptions { AnsiblePlaybookPath = playbook, PythonPath = "/opt/python/bin/python3" };

        Assert.That(options.ResolvePythonPath(), Is.EqualTo("/opt/python/bin/python3"));
    }

    [Test]
    public void Should_be_the_default_when_no_python_is_configured()
    {
        var python = Script("python3", "#!/bin/sh\n");
        var options = new AnsibleOptions { AnsiblePlaybookPath = Script("ansible-playbook", $"#!{python}\n") };

        Assert.That(options.ResolvePythonPath(), Is.EqualTo(python));
    }

    [Test]
    public void Should_follow_ansible_playbook_to_another_python_once_the_first_is_gone()
    {
        var first = Script("python3.11", "#!/bin/sh\n");
        var playbook = Script("ansible-playbook", $"#!{first}\n");
        Assert.That(LauncherPython.For(playbook), Is.EqualTo(first));

        File.Delete(first);
        var second = Script("python3.13", "#!/bin/sh\n");
        File.WriteAllText(playbook, $"#!{second}\n");

        Assert.That(LauncherPython.For(playbook), Is.EqualTo(second));
    }

    private string Script(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}

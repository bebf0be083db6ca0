using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pressluft.Runner.Ansible;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Tests;

/// <summary>The field rules hold to the last character: a value with a trailing line break is not a host name.</summary>
public sealed class The_field_rules
{
    private static readonly Guid Site = Guid.Parse("5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b");

    private static IEnumerable<TestCaseData> TrailingLineBreaks()
    {
        yield return new TestCaseData(FieldRules.Hostname("node.hostname", "node1.example\n")).SetName("a host name");
        yield return new TestCaseData(FieldRules.SshUser("node.sshUser", "deploy\n")).SetName("an SSH user");
        yield return new TestCaseData(FieldRules.Slug("siteSlug", "shop\n")).SetName("a slug");
        yield return new TestCaseData(FieldRules.BackupReference("backupReference", "b1\n")).SetName("a backup reference");
        yield return new TestCaseData(FieldRules.HttpUrl("environmentUrl", "https://shop.example/\n")).SetName("a URL");
        yield return new TestCaseData(FieldRules.ErrorCode("reasonCode", "HEALTH_CHECK_FAILED\n")).SetName("an error code");
        yield return new TestCaseData(FieldRules.ReleasePath("release.path", $"/var/www/sites/{Site}/releases/r1\n", "/var/www/sites", Site)).SetName("a release directory name");
    }

    [TestCaseSource(nameof(TrailingLineBreaks))]
    public void Should_refuse_a_trailing_line_break(string? problem) => Assert.That(problem, Is.Not.Null);

    [TestCase("https://admin:hunter2 secret@shop.example/")]
    [TestCase("https://admin:hunt/er2@shop.example/")]
    [TestCase("https://admin:hunter2\t@shop.example/")]
    [TestCase("https://admin:hunter2@shop.example/{{ x }}")]
    [TestCase("https://admin:hunter2@shop.example/")]
    [TestCase("https://admin:hunter2@")]
    public void Should_refuse_a_url_with_a_password_without_repeating_it(string url) =>
        Assert.That(FieldRules.HttpUrl("environmentUrl", url), Is.Not.Null.And.Not.Contain("hunt"));

    [TestCase("https://admin:hunter2@shop.example/")]
    [TestCase("https://admin:hunter2 secret@shop.example/")]
    [TestCase("http://token@shop.example/")]
    public void Should_say_that_a_url_carries_credentials(string url) =>
        Assert.That(FieldRules.HttpUrl("environmentUrl", url), Does.Contain("carries credentials"));

    [Test]
    public void Should_call_a_null_release_path_missing() =>
        Assert.That(FieldRules.RequiredText("release.path", null, 1024), Is.EqualTo("release.path is missing"));
}

public sealed class The_secret_redactor
{
    [Test]
    public void Should_keep_json_valid_and_mask_secrets_inside_its_strings()
    {
        var json = JsonSerializer.Serialize(new
        {
            url = "https://shop.example/?preview_token=abc123&page=2",
            message = "wp said {\"db_password\": \"hunter2\"}",
            details = new { token = "s3cr3t", checks = new[] { new { detail = "Authorization: Bearer eyJ.x.y" } } },
        });

        var redacted = SecretRedactor.RedactJson(json);

        var node = JsonNode.Parse(redacted)!;
        Assert.Multiple(() =>
        {
            Assert.That(redacted, Does.Not.Contain("abc123").And.Not.Contain("hunter2").And.Not.Contain("s3cr3t").And.Not.Contain("eyJ.x.y"));
            Assert.That(node["url"]!.GetValue<string>(), Is.EqualTo("https://shop.example/?preview_token=***&page=2"));
            Assert.That(node["details"]!["token"]!.GetValue<string>(), Is.EqualTo("***"));
        });
    }

    [Test]
    public void Should_mask_a_whole_private_key_block()
    {
        const string Key = "before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQUFBQUFBQUFB\n-----END OPENSSH PRIVATE KEY-----\nafter";
        var tail = new OutputTail();
        foreach (var line in Key.Split('\n'))
        {
            tail.Append(line);
        }

        Assert.Multiple(() =>
        {
            Assert.That(SecretRedactor.Redact(Key), Does.Not.Contain("b3Blbn").And.Not.Contain("QUFB").And.Contain("before").And.Contain("after"));
            Assert.That(tail.ToString(), Does.Not.Contain("b3Blbn").And.Not.Contain("QUFB").And.Contain("before").And.Contain("after"));
        });
    }
}

public sealed class The_ansible_variables_file
{
    // PyYAML, which Ansible reads variables with, must read back exactly the strings the runner meant.
    [Test]
    public async Task Should_read_back_every_string_exactly_as_written()
    {
        var values = new Dictionary<string, object?>
        {
            ["quotes"] = "a \"quoted\" 'value' \\ with a backslash",
            ["separators"] = "x  \u2028  y \u2029 z \u0085 w",
            ["controls"] = "line\nbreak\r\ttab\u0007bell",
            ["template"] = "{{ lookup('pipe', 'id') }} {% if x %}",
            ["unicode"] = "Grüße ✓ 😀",
            ["yaml_words"] = "on",
            ["number"] = 42,
            ["flag"] = true,
            ["list"] = new[] { "a", "null" },
            ["on"] = "a key YAML 1.1 would read as true",
        };
        var yaml = AnsibleData.ToYaml(values);

        var json = await ReadWithPyYamlAsync(yaml);

        var read = JsonNode.Parse(json)!.AsObject();
        Assert.Multiple(() =>
        {
            foreach (var (name, value) in values.Where(v => v.Value is string))
            {
                Assert.That(read[name]?.GetValue<string>(), Is.EqualTo(value), name);
            }

            Assert.That(read["number"]!.GetValue<int>(), Is.EqualTo(42));
            Assert.That(read["flag"]!.GetValue<bool>(), Is.True);
            Assert.That(read["list"]!.AsArray().Select(n => n!.GetValue<string>()), Is.EqualTo(new[] { "a", "null" }));
            Assert.That(yaml.Split('\n').Count(l => l.Length > 0), Is.EqualTo(values.Count + 1), "a value spilled onto another line");
        });
    }

    private static async Task<string> ReadWithPyYamlAsync(string yaml)
    {
        const string Script = "import json, sys, yaml\n"
            + "yaml.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node), Loader=yaml.SafeLoader)\n"
            + "print(json.dumps(yaml.safe_load(sys.stdin.read())))\n";
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(yaml);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, error);
        return output;
    }
}

public sealed class The_jobs_folder
{
    [Test]
    public void Should_refuse_a_jobs_folder_that_is_a_symbolic_link()
    {
        var root = Directory.CreateTempSubdirectory("pressluft-jobs-link-").FullName;
        try
        {
            var target = Directory.CreateDirectory(Path.Combine(root, "somebody-elses")).FullName;
            var link = Path.Combine(root, "jobs");
            Directory.CreateSymbolicLink(link, target);

            Assert.That(() => JobFolders.Root(new AnsibleOptions { JobsDirectory = link }), Throws.InstanceOf<IOException>().With.Message.Contains("symbolic link"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public void Should_remove_only_folders_a_runner_made()
    {
        var root = Directory.CreateTempSubdirectory("pressluft-jobs-names-").FullName;
        try
        {
            var settings = new AnsibleOptions { JobsDirectory = root };
            var dead = Directory.CreateDirectory(Path.Combine(root, $"999999999-{Guid.NewGuid():N}-abc")).FullName;
            var nightly = Directory.CreateDirectory(Path.Combine(root, "2024-11-29-nightly")).FullName;
            var uploads = Directory.CreateDirectory(Path.Combine(root, "99999-uploads")).FullName;

            var removed = JobFolders.RemoveLeftovers(settings);

            Assert.Multiple(() =>
            {
                Assert.That(removed, Is.EqualTo(1));
                Assert.That(Directory.Exists(dead), Is.False);
                Assert.That(Directory.Exists(nightly), Is.True);
                Assert.That(Directory.Exists(uploads), Is.True);
            });
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

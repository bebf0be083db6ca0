using System.Diagnostics;
using System.Text.Json;
using CliWrap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Runs one playbook for one job: a private job folder (0700) with the inventory and a 0600 extra-vars file, both
/// written by <see cref="AnsibleData"/> so Ansible takes every value as data, never as a template; ansible-playbook
/// started with an argument list (never a shell string) and ANSIBLE_CONFIG set, the whole process tree killed at the
/// timeout, a redacted 10 KB output tail, the result file read back, and the folder removed.
/// </summary>
public sealed class AnsiblePlaybookRunner(IOptionsMonitor<AnsibleOptions> options, ILogger<AnsiblePlaybookRunner> logger)
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public async Task<PlaybookOutcome> RunAsync(PlaybookRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.CurrentValue;
        var ansibleDirectory = settings.ResolveAnsibleDirectory();
        var playbook = Path.Combine(ansibleDirectory, "playbooks", request.Playbook);
        if (!File.Exists(playbook))
        {
            throw new FileNotFoundException($"Playbook {request.Playbook} not found under {ansibleDirectory}/playbooks", playbook);
        }

        var node = request.Node;
        var problems = new[]
        {
            FieldRules.Hostname("node.hostname", node.Hostname), FieldRules.SshUser("node.sshUser", node.SshUser), FieldRules.Port("node.sshPort", node.SshPort),
        }.OfType<string>().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Job {request.JobId} refused: {string.Join("; ", problems)}", nameof(request));
        }

        var workDirectory = JobFolders.Create(settings, request.JobId);
        try
        {
            var inventoryPath = Path.Combine(workDirectory, "inventory.yml");
            var extraVarsPath = Path.Combine(workDirectory, "extra-vars.yml");
            var resultPath = Path.Combine(workDirectory, "result.json");
            WritePrivateFile(inventoryPath, Inventory(request, settings));
            var extraVars = new Dictionary<string, object?>(request.ExtraVars) { [request.ResultVariable] = resultPath };
            if (settings.Connection != "local" && !string.IsNullOrWhiteSpace(settings.SshPrivateKeyFile))
            {
                extraVars["ansible_ssh_private_key_file"] = settings.SshPrivateKeyFile;
            }

            WritePrivateFile(extraVarsPath, AnsibleData.ToYaml(extraVars));

            var tail = new OutputTail();
            var command = Cli.Wrap(settings.AnsiblePlaybookPath)
                .WithArguments(["-i", inventoryPath, "-e", "@" + extraVarsPath, playbook])
                .WithWorkingDirectory(workDirectory)
                .WithEnvironmentVariables(env => env
                    .Set("ANSIBLE_CONFIG", Path.Combine(ansibleDirectory, "ansible.cfg"))
                    .Set("ANSIBLE_LOCAL_TEMP", Path.Combine(workDirectory, "tmp"))
                    .Set("ANSIBLE_NOCOLOR", "1")
                    .Set("ANSIBLE_FORCE_COLOR", "0"))
                .WithValidation(CommandResultValidation.None)
                .WithStandardOutputPipe(PipeTarget.ToDelegate(line => Output(request, tail, line)))
                .WithStandardErrorPipe(PipeTarget.ToDelegate(line => Output(request, tail, line)));

            logger.LogInformation("Job {JobId}: running {Playbook} against {Node} (timeout {Timeout})",
                request.JobId, request.Playbook, request.Node.Hostname, request.Timeout);
            var stopwatch = Stopwatch.StartNew();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(request.Timeout);
            int? exitCode = null;
            var timedOut = false;
            try
            {
                var result = await command.ExecuteAsync(timeout.Token);
                exitCode = result.ExitCode;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // CliWrap has killed ansible-playbook and every process it started.
                timedOut = true;
            }

            var outcome = new PlaybookOutcome
            {
                ExitCode = exitCode,
                TimedOut = timedOut,
                OutputTail = tail.ToString(),
                ResultJson = File.Exists(resultPath) ? await File.ReadAllTextAsync(resultPath, CancellationToken.None) : null,
                Duration = stopwatch.Elapsed,
            };
            logger.Log(outcome.ErrorCode is null ? LogLevel.Information : LogLevel.Warning,
                "Job {JobId}: {Playbook} finished in {DurationMs} ms: {Outcome}",
                request.JobId, request.Playbook, (long)outcome.Duration.TotalMilliseconds, outcome.Describe(request.Timeout));
            return outcome;
        }
        finally
        {
            try
            {
                Directory.Delete(workDirectory, recursive: true);
            }
            catch (IOException exception)
            {
                logger.LogWarning(exception, "Job {JobId}: could not remove {Directory}", request.JobId, workDirectory);
            }
        }
    }

    private void Output(PlaybookRequest request, OutputTail tail, string line)
    {
        var redacted = tail.Append(line);
        logger.LogDebug("Job {JobId} | {Line}", request.JobId, redacted);
    }

    // One host in the [target] group. Its values pass the field rules and are written like every other variable: as data.
    private static string Inventory(PlaybookRequest request, AnsibleOptions settings)
    {
        var host = new Dictionary<string, object?>
        {
            ["ansible_host"] = request.Node.Hostname,
            ["ansible_port"] = request.Node.SshPort,
            ["ansible_user"] = request.Node.SshUser,
        };
        if (settings.Connection == "local")
        {
            host["ansible_connection"] = "local";
        }

        return AnsibleData.ToYaml(new Dictionary<string, object?>
        {
            ["all"] = new Dictionary<string, object?>
            {
                ["children"] = new Dictionary<string, object?>
                {
                    ["target"] = new Dictionary<string, object?> { ["hosts"] = new Dictionary<string, object?> { ["node"] = host } },
                },
            },
        });
    }

    private static void WritePrivateFile(string path, string contents)
    {
        using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
        }

        File.SetUnixFileMode(path, PrivateFile);
    }
}

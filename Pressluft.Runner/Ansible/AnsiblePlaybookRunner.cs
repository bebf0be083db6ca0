using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CliWrap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pressluft.Runner.Ansible;

/// <summary>
/// Runs one playbook for one job: a private temp directory (0700) with the inventory and a 0600 extra-vars file,
/// ansible-playbook started with an argument list (never a shell string) and ANSIBLE_CONFIG set, the whole process
/// tree killed at the timeout, a redacted 10 KB output tail, the result file read back, and the directory removed.
/// </summary>
public sealed partial class AnsiblePlaybookRunner(IOptionsMonitor<AnsibleOptions> options, ILogger<AnsiblePlaybookRunner> logger)
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
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

        var workDirectory = Directory.CreateTempSubdirectory($"pressluft-job-{request.JobId:N}-").FullName;
        try
        {
            File.SetUnixFileMode(workDirectory, PrivateDirectory);
            var inventoryPath = Path.Combine(workDirectory, "inventory.ini");
            var extraVarsPath = Path.Combine(workDirectory, "extra-vars.json");
            var resultPath = Path.Combine(workDirectory, "result.json");
            WritePrivateFile(inventoryPath, Inventory(request, settings));
            var extraVars = new Dictionary<string, object?>(request.ExtraVars) { [request.ResultVariable] = resultPath };
            WritePrivateFile(extraVarsPath, JsonSerializer.Serialize(extraVars));

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

    private static string Inventory(PlaybookRequest request, AnsibleOptions settings)
    {
        var node = request.Node;
        if (!HostName().IsMatch(node.Hostname))
        {
            throw new ArgumentException($"Node host name '{node.Hostname}' is not a host name or address", nameof(request));
        }

        if (!UserName().IsMatch(node.SshUser))
        {
            throw new ArgumentException($"Node SSH user '{node.SshUser}' is not a valid user name", nameof(request));
        }

        if (node.SshPort is < 1 or > 65535)
        {
            throw new ArgumentException($"Node SSH port {node.SshPort} is out of range", nameof(request));
        }

        var line = new StringBuilder("node")
            .Append(" ansible_host=").Append(node.Hostname)
            .Append(" ansible_port=").Append(node.SshPort)
            .Append(" ansible_user=").Append(node.SshUser);
        if (settings.Connection == "local")
        {
            line.Append(" ansible_connection=local");
        }
        else if (!string.IsNullOrWhiteSpace(settings.SshPrivateKeyFile))
        {
            if (settings.SshPrivateKeyFile.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException("The SSH private key path must not contain white space", nameof(settings));
            }

            line.Append(" ansible_ssh_private_key_file=").Append(settings.SshPrivateKeyFile);
        }

        return $"[target]\n{line}\n";
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

    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9a-fA-F:]+$")]
    private static partial Regex HostName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex UserName();
}

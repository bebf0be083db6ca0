using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pressluft.Runner.Tests.Support;

/// <summary>
/// <c>pressluft run</c> on the embedded default (in-memory bus, SQLite in a state folder of its own) as a child process,
/// with its HTTP surface on a free loopback port and real ansible-playbook against a local site; CLI verbs run as
/// further processes with the same configuration, as an operator on that machine would run them.
/// </summary>
public sealed class EmbeddedService : IAsyncDisposable
{
    private readonly Process _run;
    private readonly Task<string> _runError;

    private EmbeddedService(AnsibleWorld ansible, string state, Dictionary<string, string?> settings, Process run)
    {
        Ansible = ansible;
        State = state;
        Settings = settings;
        _run = run;
        _runError = run.StandardError.ReadToEndAsync();
        _ = run.StandardOutput.ReadToEndAsync();
        Http = new HttpClient { BaseAddress = new Uri(settings["Pressluft:Http:Url"]!) };
    }

    public AnsibleWorld Ansible { get; }
    public string State { get; }
    public Dictionary<string, string?> Settings { get; }
    public HttpClient Http { get; }

    public static async Task<EmbeddedService> StartAsync()
    {
        var ansible = AnsibleWorld.Create();
        var state = Directory.CreateTempSubdirectory("pressluft-state-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Pressluft:StateDirectory"] = state,
            ["Pressluft:Http:Url"] = $"http://127.0.0.1:{Ports.Free()}/",
            ["Pressluft:Ansible:Connection"] = "local",
            ["Pressluft:Ansible:SitesRoot"] = ansible.SitesRoot,
            ["Pressluft:Ansible:WpCliPath"] = ansible.WpCliPath,
            ["Pressluft:Ansible:CheckTimeoutSeconds"] = "5",
            ["Pressluft:Ansible:CheckRetryDelaySeconds"] = "0",
            ["Pressluft:Outbox:SampleInterval"] = "00:00:00.500",
        };
        var service = new EmbeddedService(ansible, state, settings, Cli.Start(["run"], settings));
        await service.WaitUntilReadyAsync();
        return service;
    }

    public Task<CliResult> CliAsync(params string[] arguments) => Cli.RunAsync(Settings, arguments);

    public async Task<JsonElement> GetJsonAsync(string path) => await Http.GetFromJsonAsync<JsonElement>(new Uri(path.TrimStart('/'), UriKind.Relative));

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline && !_run.HasExited)
        {
            try
            {
                using var ready = await Http.GetAsync(new Uri("health/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"pressluft run did not become ready (exited: {_run.HasExited}): {(_run.HasExited ? await _runError : "")}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.HasExited)
        {
            _run.Kill(entireProcessTree: true);
            await _run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        _run.Dispose();
        Http.Dispose();
        await Ansible.DisposeAsync();
        Directory.Delete(State, recursive: true);
    }
}

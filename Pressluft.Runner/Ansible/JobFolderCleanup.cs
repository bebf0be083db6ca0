using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pressluft.Runner.Ansible;

/// <summary>At start, removes the job folders that killed runners left behind (see <see cref="JobFolders"/>).</summary>
public sealed class JobFolderCleanup(IOptionsMonitor<AnsibleOptions> options, ILogger<JobFolderCleanup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var removed = JobFolders.RemoveLeftovers(options.CurrentValue);
            if (removed > 0)
            {
                logger.LogInformation("Removed {Count} job folders left by runners that were stopped mid-job", removed);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not remove leftover job folders: {Reason}", exception.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

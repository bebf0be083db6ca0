using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>The <c>health-check</c> endpoint.</summary>
public sealed class HealthCheckConsumerDefinition() : PlaybookConsumerDefinition<HealthCheckConsumer>("health-check")
{
    protected override int ConcurrentJobs(AnsibleOptions settings) => settings.ConcurrentHealthChecks;
}

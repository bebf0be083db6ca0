using Pressluft.Runner.Ansible;

namespace Pressluft.Runner.Consumers;

/// <summary>The <c>release-rollback</c> endpoint.</summary>
public sealed class ReleaseRollbackConsumerDefinition() : PlaybookConsumerDefinition<ReleaseRollbackConsumer>("release-rollback")
{
    protected override int ConcurrentJobs(AnsibleOptions settings) => settings.ConcurrentRollbacks;
}

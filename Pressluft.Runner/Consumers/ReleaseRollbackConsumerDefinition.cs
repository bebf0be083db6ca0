namespace Pressluft.Runner.Consumers;

/// <summary>The <c>release-rollback</c> endpoint.</summary>
public sealed class ReleaseRollbackConsumerDefinition() : PlaybookConsumerDefinition<ReleaseRollbackConsumer>("release-rollback");

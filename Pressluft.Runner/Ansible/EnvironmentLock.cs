namespace Pressluft.Runner.Ansible;

/// <summary>A held environment lock (<see cref="IEnvironmentLocks"/>); disposing releases it.</summary>
public sealed class EnvironmentLock(Guid environmentId, bool waited, Func<ValueTask> release) : IAsyncDisposable
{
    private int _released;

    public Guid EnvironmentId { get; } = environmentId;

    /// <summary>Whether another playbook held the environment first: whatever was decided before may be stale now.</summary>
    public bool Waited { get; } = waited;

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _released, 1) == 0 ? release() : ValueTask.CompletedTask;
}

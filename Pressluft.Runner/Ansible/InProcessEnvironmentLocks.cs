namespace Pressluft.Runner.Ansible;

/// <summary>
/// Environment locks for the embedded default, where one process is the only runner (SQLite ledger): one semaphore per
/// environment while anyone holds or waits for it.
/// </summary>
public sealed class InProcessEnvironmentLocks : IEnvironmentLocks
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Entry> _entries = [];

    public async Task<EnvironmentLock> AcquireAsync(Guid environmentId, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(environmentId, out entry!))
            {
                entry = new Entry();
                _entries[environmentId] = entry;
            }

            entry.Users++;
        }

        var waited = false;
        try
        {
            if (!entry.Semaphore.Wait(0, CancellationToken.None))
            {
                waited = true;
                await entry.Semaphore.WaitAsync(cancellationToken);
            }
        }
        catch
        {
            Leave(environmentId, entry);
            throw;
        }

        return new EnvironmentLock(environmentId, waited, () =>
        {
            entry.Semaphore.Release();
            Leave(environmentId, entry);
            return ValueTask.CompletedTask;
        });
    }

    private void Leave(Guid environmentId, Entry entry)
    {
        lock (_gate)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(environmentId);
                entry.Semaphore.Dispose();
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);
        public int Users { get; set; }
    }
}

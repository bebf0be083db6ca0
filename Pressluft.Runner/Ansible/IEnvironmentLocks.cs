namespace Pressluft.Runner.Ansible;

/// <summary>
/// At most one playbook per environment at a time: a runner holds the environment's lock while a playbook acts on it.
/// With a PostgreSQL ledger the lock is PostgreSQL's (<see cref="PostgresEnvironmentLocks"/>), so it holds across
/// runners and restarts; on the embedded default (SQLite, one process) it is in-process (<see cref="InProcessEnvironmentLocks"/>).
/// </summary>
public interface IEnvironmentLocks
{
    /// <summary>Waits until no other playbook acts on the environment, then holds it until the lock is disposed.</summary>
    Task<EnvironmentLock> AcquireAsync(Guid environmentId, CancellationToken cancellationToken);
}

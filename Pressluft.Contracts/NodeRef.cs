namespace Pressluft.Contracts;

/// <summary>The node an environment runs on, as Ansible reaches it.</summary>
public sealed record NodeRef
{
    /// <summary>Node id (UUID).</summary>
    public required Guid Id { get; init; }

    /// <summary>Host name or address Ansible connects to.</summary>
    public required string Hostname { get; init; }

    /// <summary>SSH port; 22 unless set.</summary>
    public int SshPort { get; init; } = 22;

    /// <summary>SSH user Ansible logs in as.</summary>
    public required string SshUser { get; init; }
}

using System.ComponentModel.DataAnnotations;

namespace Pressluft.Messaging.Bus;

/// <summary><c>Pressluft:Messaging</c>: how the saga endpoint consumes.</summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Pressluft:Messaging";

    /// <summary>
    /// Messages for one environment are handled one at a time in this process (partitioned by environment id), so they
    /// do not collide on the saga row. 0 turns partitioning off; optimistic concurrency still keeps them correct.
    /// </summary>
    [Range(0, 256)]
    public int SagaPartitions { get; set; } = 16;
}

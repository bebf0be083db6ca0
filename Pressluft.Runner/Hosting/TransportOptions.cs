using System.ComponentModel.DataAnnotations;

namespace Pressluft.Runner.Hosting;

/// <summary>Which message broker the service uses.</summary>
public enum TransportKind
{
    /// <summary>MassTransit's in-memory bus: the embedded default for a single machine.</summary>
    InMemory,

    /// <summary>RabbitMQ: several runners, other services publishing, the management console.</summary>
    RabbitMq,
}

/// <summary><c>Pressluft:Transport</c>.</summary>
public sealed class TransportOptions : IValidatableObject
{
    public const string SectionName = "Pressluft:Transport";

    public TransportKind Kind { get; set; } = TransportKind.InMemory;

    /// <summary><c>amqp://user:password@host:port/vhost</c>; required for RabbitMQ.</summary>
    public string? RabbitMqUrl { get; set; }

    /// <summary>Messages RabbitMQ hands each endpoint ahead of time.</summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 16;

    /// <summary>Messages each endpoint handles at once.</summary>
    [Range(1, 256)]
    public int ConcurrentMessageLimit { get; set; } = 8;

    /// <summary>
    /// MassTransit's anonymous usage telemetry, which reports to a public host every few minutes. Off unless turned on
    /// here: a control plane does not phone home, and offline it would log a stack trace each time.
    /// </summary>
    public bool MassTransitUsageTelemetry { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Kind != TransportKind.RabbitMq)
        {
            yield break;
        }

        if (!Uri.TryCreate(RabbitMqUrl, UriKind.Absolute, out var url) || (url.Scheme != "amqp" && url.Scheme != "amqps"))
        {
            yield return new ValidationResult($"{SectionName}:RabbitMqUrl must be an amqp:// or amqps:// URL when Kind is RabbitMq",
                [nameof(RabbitMqUrl)]);
        }
    }
}

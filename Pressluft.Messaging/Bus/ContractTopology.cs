using MassTransit;
using Pressluft.Contracts;
using Pressluft.Sagas.Messages;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// Exchange names are part of the public contract: stable, kebab-case, and independent of .NET namespaces, so a Go or
/// PHP service can publish to <c>pressluft.mutation-completed</c> without knowing anything about this code. This table is
/// the single list of the service's messages: the bus, the docs and the JSON Schemas all read it.
/// </summary>
public static class ContractTopology
{
    private static readonly IReadOnlyList<Exchange> Exchanges =
    [
        Exchange.For<MutationCompleted>("pressluft.mutation-completed"),
        Exchange.For<HealthCheckRequested>("pressluft.health-check-requested"),
        Exchange.For<HealthCheckPassed>("pressluft.health-check-passed"),
        Exchange.For<HealthCheckFailed>("pressluft.health-check-failed"),
        Exchange.For<RollbackRequested>("pressluft.rollback-requested"),
        Exchange.For<RollbackCompleted>("pressluft.rollback-completed"),
        Exchange.For<RollbackFailed>("pressluft.rollback-failed"),
        Exchange.For<JobStarted>("pressluft.job-started"),
        Exchange.For<ResetEnvironment>("pressluft.reset-environment"),
        Exchange.For<ReleaseHealthChanged>("pressluft.release-health-changed"),
        Exchange.For<EnvironmentStatusChanged>("pressluft.environment-status-changed"),
        Exchange.For<GateCompleted>("pressluft.gate-completed"),
        Exchange.For<HealthCheckDeadlineExpired>("pressluft.internal.health-check-deadline-expired"),
        Exchange.For<HealthCheckRetryDue>("pressluft.internal.health-check-retry-due"),
        Exchange.For<RollbackDeadlineExpired>("pressluft.internal.rollback-deadline-expired"),
        Exchange.For<JobResumeDue>("pressluft.internal.job-resume-due"),
    ];

    /// <summary>Each message type's exchange.</summary>
    public static IReadOnlyDictionary<Type, string> EntityNames { get; } = Exchanges.ToDictionary(e => e.Type, e => e.Name);

    /// <summary>The contracts other services see (not the gate's own internal messages), in table order.</summary>
    public static IReadOnlyList<Type> PublicContracts { get; } = Exchanges.Where(e => e.Type.Namespace == typeof(MutationCompleted).Namespace).Select(e => e.Type).ToList();

    /// <summary>Applies the entity names to a bus (any transport).</summary>
    public static void Apply(IBusFactoryConfigurator configurator)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        foreach (var exchange in Exchanges)
        {
            exchange.Apply(configurator);
        }

        // The shared interfaces describe messages; they are not messages of their own and get no exchange.
        configurator.Publish<IEnvironmentMessage>(p => p.Exclude = true);
        configurator.Publish<IJobAnswer>(p => p.Exclude = true);
    }

    private sealed record Exchange(Type Type, string Name, Action<IBusFactoryConfigurator> Apply)
    {
        public static Exchange For<T>(string name)
            where T : class =>
            new(typeof(T), name, c => c.Message<T>(m => m.SetEntityName(name)));
    }
}

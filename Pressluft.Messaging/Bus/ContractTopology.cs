using MassTransit;
using Pressluft.Contracts;
using Pressluft.Sagas.Messages;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// Exchange names are part of the public contract: stable, kebab-case, and independent of .NET namespaces, so a Go or
/// PHP service can publish to <c>pressluft.mutation-completed</c> without knowing anything about this code.
/// </summary>
public static class ContractTopology
{
    public static IReadOnlyDictionary<Type, string> EntityNames { get; } = new Dictionary<Type, string>
    {
        [typeof(MutationCompleted)] = "pressluft.mutation-completed",
        [typeof(HealthCheckRequested)] = "pressluft.health-check-requested",
        [typeof(HealthCheckPassed)] = "pressluft.health-check-passed",
        [typeof(HealthCheckFailed)] = "pressluft.health-check-failed",
        [typeof(RollbackRequested)] = "pressluft.rollback-requested",
        [typeof(RollbackCompleted)] = "pressluft.rollback-completed",
        [typeof(RollbackFailed)] = "pressluft.rollback-failed",
        [typeof(JobStarted)] = "pressluft.job-started",
        [typeof(ResetEnvironment)] = "pressluft.reset-environment",
        [typeof(ReleaseHealthChanged)] = "pressluft.release-health-changed",
        [typeof(EnvironmentStatusChanged)] = "pressluft.environment-status-changed",
        [typeof(GateCompleted)] = "pressluft.gate-completed",
        [typeof(HealthCheckDeadlineExpired)] = "pressluft.internal.health-check-deadline-expired",
        [typeof(HealthCheckRetryDue)] = "pressluft.internal.health-check-retry-due",
        [typeof(RollbackDeadlineExpired)] = "pressluft.internal.rollback-deadline-expired",
    };

    /// <summary>Applies the entity names to a bus (any transport).</summary>
    public static void Apply(IBusFactoryConfigurator configurator)
    {
        Name<MutationCompleted>(configurator);
        Name<HealthCheckRequested>(configurator);
        Name<HealthCheckPassed>(configurator);
        Name<HealthCheckFailed>(configurator);
        Name<RollbackRequested>(configurator);
        Name<RollbackCompleted>(configurator);
        Name<RollbackFailed>(configurator);
        Name<JobStarted>(configurator);
        Name<ResetEnvironment>(configurator);
        Name<ReleaseHealthChanged>(configurator);
        Name<EnvironmentStatusChanged>(configurator);
        Name<GateCompleted>(configurator);
        Name<HealthCheckDeadlineExpired>(configurator);
        Name<HealthCheckRetryDue>(configurator);
        Name<RollbackDeadlineExpired>(configurator);
    }

    private static void Name<T>(IBusFactoryConfigurator configurator)
        where T : class =>
        configurator.Message<T>(m => m.SetEntityName(EntityNames[typeof(T)]));
}

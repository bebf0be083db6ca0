using MassTransit;
using Pressluft.Contracts;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Sagas.Gate;

/// <summary>Small pieces every gate step shares when it builds or sends a message.</summary>
internal static class GateMessages
{
    /// <summary>Publishes a ledger change event, when the ledger reports one (null: nothing changed).</summary>
    public static async Task PublishIfAny<TEvent>(this ConsumeContext context, TEvent? message)
        where TEvent : class
    {
        if (message is not null)
        {
            await context.Publish(message, context.CancellationToken);
        }
    }

    /// <summary>The node the environment runs on, as the runners reach it.</summary>
    public static NodeRef Node(ReleaseLifecycleState saga) => new()
    {
        Id = saga.NodeId,
        Hostname = saga.NodeHostname,
        SshPort = saga.NodeSshPort,
        SshUser = saga.NodeSshUser,
    };
}

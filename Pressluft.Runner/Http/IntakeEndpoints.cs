using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Telemetry;
using Pressluft.Sagas.Validation;

namespace Pressluft.Runner.Http;

/// <summary>
/// The HTTP intake: the same plain-JSON documents a publisher sends to RabbitMQ, read with MassTransit's own JSON
/// settings and checked by exactly the validators the bus endpoints run. A bad document is answered 400 with the
/// reasons and changes nothing; a good one is published as a publisher would, and its gate opens on mutation-intake. On
/// the embedded default a mutation is answered 202 once its gate is stored (a restart then resumes it).
/// </summary>
public static class IntakeEndpoints
{
    public const string MutationsPath = "/mutations";

    public static void Map(IEndpointRouteBuilder app, IServiceProvider services)
    {
        app.MapPost(MutationsPath, (HttpRequest request, CancellationToken cancellationToken) => AcceptAsync<MutationCompleted>(services, request,
            (_, _) => Task.FromResult<IResult?>(null), m => new { mutationJobId = m.MutationJobId, accepted = true }, cancellationToken));
        app.MapPost("/environments/{environmentId}/reset", (string environmentId, HttpRequest request, CancellationToken cancellationToken) =>
            Guid.TryParse(environmentId, out var id)
                ? AcceptAsync<ResetEnvironment>(services, request, (reset, token) => RefuseResetAsync(services, id, reset, token),
                    r => new { environmentId = r.EnvironmentId, accepted = true }, cancellationToken)
                : Task.FromResult(Problem(StatusCodes.Status400BadRequest, [$"'{environmentId}' is not a UUID"])));
    }

    private static async Task<IResult> AcceptAsync<T>(IServiceProvider services, HttpRequest request, Func<T, CancellationToken, Task<IResult?>> refuse,
        Func<T, object> accepted, CancellationToken cancellationToken)
        where T : class
    {
        using var activity = PressluftTelemetry.Source.StartActivity($"POST {request.Path}", ActivityKind.Server);
        T? message;
        try
        {
            message = await JsonSerializer.DeserializeAsync<T>(request.Body, SystemTextJsonMessageSerializer.Options, cancellationToken);
        }
        catch (JsonException exception)
        {
            return Problem(StatusCodes.Status400BadRequest, [$"not a {typeof(T).Name} document: {exception.Message}"]);
        }

        if (message is null)
        {
            return Problem(StatusCodes.Status400BadRequest, [$"not a {typeof(T).Name} document: the body is empty"]);
        }

        // A scope, as a consume context has: the validators are whatever the bus endpoints resolve, whatever their lifetime.
        await using var scope = services.CreateAsyncScope();
        var problems = scope.ServiceProvider.GetServices<IMessageValidator<T>>().ProblemsWith(message);
        if (problems.Count > 0)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "rejected");
            return Problem(StatusCodes.Status400BadRequest, problems);
        }

        if (await refuse(message, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        await services.GetRequiredService<IBus>().Publish(message, cancellationToken);
        if (message is MutationCompleted mutation && !await StoredAsync(services, mutation.MutationJobId, cancellationToken))
        {
            return Results.Json(new { errors = new[] { $"mutation {mutation.MutationJobId} was not stored within {StoreWait.TotalSeconds:0} s; publish it again (a mutation is gated once)" } },
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return Results.Json(accepted(message), statusCode: StatusCodes.Status202Accepted);
    }

    // How long the embedded default waits for a mutation's gate to be stored before it answers.
    private static readonly TimeSpan StoreWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// On the embedded default a published message sits in an in-memory queue that dies with the process, so 202 waits
    /// until the gate has stored the mutation (its gate row, committed with the request that follows): from there a
    /// restart resumes it. On RabbitMQ the publish itself was confirmed by the broker's durable queue.
    /// </summary>
    private static async Task<bool> StoredAsync(IServiceProvider services, Guid mutationJobId, CancellationToken cancellationToken)
    {
        if (services.GetRequiredService<IOptions<TransportOptions>>().Value.Kind != TransportKind.InMemory)
        {
            return true;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StoreWait);
        try
        {
            while (true)
            {
                await using (var scope = services.CreateAsyncScope())
                {
                    var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
                    if (await db.Gates.AsNoTracking().AnyAsync(g => g.MutationJobId == mutationJobId, timeout.Token))
                    {
                        return true;
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>A reset applies to a failed environment only; anything else is refused here rather than ignored by the saga.</summary>
    private static async Task<IResult?> RefuseResetAsync(IServiceProvider services, Guid environmentId, ResetEnvironment reset, CancellationToken cancellationToken)
    {
        if (reset.EnvironmentId != environmentId)
        {
            return Problem(StatusCodes.Status400BadRequest, [$"environmentId in the body ({reset.EnvironmentId}) is not the one in the path ({environmentId})"]);
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
        var status = await db.Environments.AsNoTracking().Where(e => e.Id == environmentId).Select(e => e.Status).SingleOrDefaultAsync(cancellationToken);
        return status switch
        {
            null => Problem(StatusCodes.Status404NotFound, [$"environment {environmentId} is not in the ledger"]),
            EnvironmentStatuses.Failed => null,
            _ => Problem(StatusCodes.Status409Conflict, [$"environment {environmentId} is {status}, not failed: nothing to reset"]),
        };
    }

    private static IResult Problem(int status, IReadOnlyList<string> errors) => Results.Json(new { errors }, statusCode: status);
}

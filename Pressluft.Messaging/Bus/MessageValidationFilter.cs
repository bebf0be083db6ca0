using MassTransit;
using Pressluft.Sagas.Validation;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// Runs every registered <see cref="IMessageValidator{T}"/> before the message reaches a saga or consumer; a bad
/// message throws <see cref="RejectedMessageException"/> (not retried) and so lands in <c>_error</c> untouched.
/// </summary>
public sealed class MessageValidationFilter<T>(IEnumerable<IMessageValidator<T>> validators) : IFilter<ConsumeContext<T>>
    where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var problems = validators.ProblemsWith(context.Message);
        if (problems.Count > 0)
        {
            throw new RejectedMessageException(typeof(T).Name, problems);
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("messageValidation");
}

using System.Net.Mime;
using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Pressluft.Contracts;

namespace Pressluft.Messaging.Bus;

/// <summary>
/// Plain JSON (<c>application/json</c>) on <c>mutation-intake</c>, read as <see cref="MutationCompleted"/> and as nothing
/// else. The saga runs on that endpoint for this one event, and MassTransit's raw JSON reader offers a body without a
/// message type to every type asked for (each saga event); this one names the single type a publisher of plain JSON can
/// send, whatever its headers claim. MassTransit's envelope is read as usual.
/// </summary>
public sealed class MutationJsonDeserializer : IMessageDeserializer, ISerializerFactory
{
    // No flag: the publisher's transport headers are not copied onto what the gate sends on (runner requests, its
    // public events); message id, correlation and the like are read all the same.
    private const RawSerializerOptions Options = 0;
    private static readonly string[] MessageTypes = [MessageUrn.ForTypeString<MutationCompleted>()];

    public ContentType ContentType => SystemTextJsonRawMessageSerializer.JsonContentType;

    public IMessageSerializer CreateSerializer() => new SystemTextJsonRawMessageSerializer(Options);

    public IMessageDeserializer CreateDeserializer() => this;

    public void Probe(ProbeContext context) => context.CreateScope("json").Add("contentType", ContentType.MediaType);

    public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
        new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null)
    {
        JsonElement element;
        try
        {
            var bytes = body.GetBytes();
            element = bytes.Length > 0 ? JsonSerializer.Deserialize<JsonElement>(bytes, SystemTextJsonMessageSerializer.Options) : EmptyObject();
        }
        catch (JsonException ex)
        {
            throw new SerializationException("The message body is not JSON", ex);
        }

        return new SystemTextJsonRawSerializerContext(SystemTextJsonMessageSerializer.Instance, SystemTextJsonMessageSerializer.Options, ContentType,
            new RawMessageContext(headers, destinationAddress, Options), MessageTypes, Options, element);
    }

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }
}

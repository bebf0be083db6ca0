using Pressluft.Sagas.Validation;
using Serilog.Core;
using Serilog.Events;

namespace Pressluft.Runner.Hosting;

/// <summary>
/// Redacts every text property of every log event (<see cref="SecretRedactor"/>) before any sink sees it, so a URL
/// with a token or an output line with a password is never written to the log, whoever logged it.
/// </summary>
public sealed class SecretRedactionEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        foreach (var (name, value) in logEvent.Properties.ToList())
        {
            var redacted = Redact(value);
            if (!ReferenceEquals(redacted, value))
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, redacted));
            }
        }
    }

    // Returns the same instance when nothing changed, so untouched events cost no allocation.
    private static LogEventPropertyValue Redact(LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: string text }:
                var redacted = SecretRedactor.Redact(text);
                return redacted == text ? value : new ScalarValue(redacted);
            case SequenceValue sequence:
                var elements = sequence.Elements.Select(Redact).ToList();
                return elements.SequenceEqual(sequence.Elements) ? value : new SequenceValue(elements);
            case StructureValue structure:
                var properties = structure.Properties.Select(p => new { p.Name, Value = Redact(p.Value), Original = p.Value }).ToList();
                return properties.All(p => ReferenceEquals(p.Value, p.Original))
                    ? value
                    : new StructureValue(properties.Select(p => new LogEventProperty(p.Name, p.Value)), structure.TypeTag);
            case DictionaryValue dictionary:
                var entries = dictionary.Elements.Select(e => new KeyValuePair<ScalarValue, LogEventPropertyValue>(e.Key, Redact(e.Value))).ToList();
                return entries.Zip(dictionary.Elements).All(p => ReferenceEquals(p.First.Value, p.Second.Value)) ? value : new DictionaryValue(entries);
            default:
                return value;
        }
    }
}

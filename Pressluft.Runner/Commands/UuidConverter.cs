using System.ComponentModel;
using System.Globalization;

namespace Pressluft.Runner.Commands;

/// <summary>Reads a UUID option and, when it is not one, says so in words an operator understands.</summary>
public sealed class UuidConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text && Guid.TryParse(text, out var id)
            ? id
            : throw new UsageException($"'{value}' is not a UUID (ids look like 0b7c3a52-5f0e-4a8e-9d55-3f1c2e4b6a70; slugs are not accepted)", value as string);
}

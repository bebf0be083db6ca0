namespace Pressluft.Runner.Http;

/// <summary>The HTTP surface could not listen where configured, most often because another service already does.</summary>
public sealed class AddressInUseException(string message, Exception inner) : IOException(message, inner);

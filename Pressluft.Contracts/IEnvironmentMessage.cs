namespace Pressluft.Contracts;

/// <summary>
/// A message about one environment. The gate keeps one saga per environment, so every message it handles is
/// correlated (and ordered) by <see cref="EnvironmentId"/>.
/// </summary>
public interface IEnvironmentMessage
{
    /// <summary>The environment's id.</summary>
    Guid EnvironmentId { get; }
}

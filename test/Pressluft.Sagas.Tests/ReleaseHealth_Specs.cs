using Pressluft.Contracts;

namespace Pressluft.Sagas.Tests;

/// <summary>Health only moves forward, and unhealthy is terminal: a rolled-back release is never a rollback target again.</summary>
public sealed class The_release_health_transitions
{
    [TestCase(ReleaseHealth.Unknown, ReleaseHealth.Healthy, true)]
    [TestCase(ReleaseHealth.Unknown, ReleaseHealth.Unhealthy, true)]
    [TestCase(ReleaseHealth.Healthy, ReleaseHealth.Unhealthy, true)]
    [TestCase(ReleaseHealth.Healthy, ReleaseHealth.Unknown, false)]
    [TestCase(ReleaseHealth.Unhealthy, ReleaseHealth.Healthy, false)]
    [TestCase(ReleaseHealth.Unhealthy, ReleaseHealth.Unknown, false)]
    public void Should_allow_only_forward_moves(string from, string to, bool allowed) =>
        Assert.That(ReleaseHealth.CanTransition(from, to), Is.EqualTo(allowed));
}

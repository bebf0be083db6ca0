using Pressluft.Sagas.StateMachines;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

/// <summary>The diagram in docs/state-machines.md is drawn from the machine; the two must never differ.</summary>
public sealed class The_state_machine_diagram
{
    [Test]
    public void Should_match_the_machine()
    {
        var document = Path.Combine(Repository.Root, "docs", "state-machines.md");
        var committed = StateMachineDiagram.Extract(File.ReadAllText(document));
        var generated = StateMachineDiagram.Render(new ReleaseLifecycleStateMachine());

        Assert.That(committed, Is.EqualTo(generated),
            "docs/state-machines.md differs from ReleaseLifecycleStateMachine; run `pressluft state-diagram docs/state-machines.md` and commit it");
    }

    [Test]
    public void Should_show_where_a_failed_check_leads()
    {
        var generated = StateMachineDiagram.Render(new ReleaseLifecycleStateMachine());

        Assert.Multiple(() =>
        {
            Assert.That(generated, Does.Contain("| HealthChecking | HealthCheckFailed | RollingBack or Active or Failed |"));
            Assert.That(generated, Does.Contain("| RollingBack | RollbackCompleted | VerifyingRollback |"));
            Assert.That(generated, Does.Contain("| Failed | ResetEnvironment | Active |"));
        });
    }
}

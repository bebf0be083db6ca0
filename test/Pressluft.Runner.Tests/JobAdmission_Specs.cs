using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Contracts;
using Pressluft.Messaging.Persistence;
using Pressluft.Runner.Consumers;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

public sealed class When_a_request_waited_past_its_expiry
{
    // The gate stops waiting at the expiry plus the run deadline; a runner that reaches the request later does not run
    // work the gate has given up on, and says so at once instead of leaving the gate to time out.
    [Test]
    public async Task Should_not_run_it_and_answer_that_it_expired()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>());
        var harness = provider.GetRequiredService<ITestHarness>();

        await harness.Bus.Publish(Requests.Check(world, release) with { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });

        Assert.That(await harness.Consumed.Any<HealthCheckRequested>(), Is.True);
        var failed = (await harness.Published.SelectAsync<HealthCheckFailed>().First()).Context.Message;
        Assert.Multiple(async () =>
        {
            Assert.That(failed.Verdict, Is.EqualTo(HealthVerdicts.Inconclusive));
            Assert.That(failed.Error.Code, Is.EqualTo(ErrorCodes.HealthCheckInconclusive));
            Assert.That(failed.Error.Message, Does.Contain("past its expiry"));
            Assert.That(failed.Error.Details.ExitCode, Is.Null, "ansible-playbook ran");
            Assert.That(await harness.Published.Any<JobStarted>(), Is.False, "the expired job was reported as started");
        });
    }
}

public sealed class When_the_gate_gave_a_job_up_before_a_runner_took_it
{
    [Test]
    public async Task Should_not_run_it_or_answer()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var provider = await world.StartHarnessAsync(x => x.AddConsumer<HealthCheckConsumer>());
        await provider.MigrateLedgerAsync();
        var request = Requests.Check(world, release);
        await using (var scope = provider.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PressluftDbContext>();
            db.Jobs.Add(new JobRecord
            {
                Id = request.JobId,
                JobType = JobTypes.HealthCheck,
                Status = JobStatuses.Cancelled,
                SiteId = request.SiteId,
                EnvironmentId = request.EnvironmentId,
                ErrorCode = ErrorCodes.GateSuperseded,
                CreatedAt = DateTime.UtcNow,
                RunAfter = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Bus.Publish(request);

        Assert.That(await harness.Consumed.Any<HealthCheckRequested>(), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(harness.Published.Select<JobStarted>().Any(), Is.False, "the superseded job ran");
            Assert.That(harness.Published.Select<HealthCheckPassed>().Any() || harness.Published.Select<HealthCheckFailed>().Any(), Is.False,
                "the superseded job was answered");
        });
    }
}

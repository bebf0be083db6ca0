using Pressluft.Runner.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Runner.Tests;

/// <summary>What an operator reads when RabbitMQ is down: one line per connection attempt, naming host:port, no stacks, no secrets.</summary>
public sealed class When_the_broker_cannot_be_reached
{
    [Test]
    public async Task Should_log_one_line_per_attempt_naming_host_and_port()
    {
        var state = Directory.CreateTempSubdirectory("pressluft-quiet-").FullName;
        var port = Ports.Free();
        using var run = Cli.Start(["run"], new Dictionary<string, string?>
        {
            ["Pressluft:StateDirectory"] = state,
            ["Pressluft:Http:Url"] = $"http://127.0.0.1:{Ports.Free()}",
            ["Pressluft:Transport:Kind"] = "RabbitMq",
            ["Pressluft:Transport:RabbitMqUrl"] = $"amqp://pressluft:s3cret-password@127.0.0.1:{port}/",
        });
        var error = run.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        try
        {
            // Until the second attempt has failed (or the service gave up and exited).
            var reading = Task.Run(async () =>
            {
                while (await run.StandardOutput.ReadLineAsync() is { } line)
                {
                    lines.Add(line);
                    if (lines.Count(l => l.Contains("Connection Failed", StringComparison.Ordinal)) >= 2)
                    {
                        return;
                    }
                }
            });
            await reading.WaitAsync(TimeSpan.FromMinutes(2));
        }
        finally
        {
            run.Kill(entireProcessTree: true);
            await run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Directory.Delete(state, recursive: true);
        }

        var log = string.Join("\n", lines) + "\n" + await error;
        var attempts = lines.Where(l => l.Contains("Connection Failed", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(attempts, Has.Count.EqualTo(2), log);
            Assert.That(attempts, Has.All.Contains($"127.0.0.1:{port}").And.All.Contains("[").And.All.Contains("WRN]"), log);
            Assert.That(lines, Has.None.StartsWith("   at "), "no stack traces: " + log);
            Assert.That(lines, Has.None.Contains("Retrying"), "the attempt is said once: " + log);
            Assert.That(log, Does.Not.Contain("s3cret-password"));
        });
    }
}

/// <summary>A rejected message is expected input handling, not a fault of the service: one warning line with the reasons.</summary>
public sealed class When_a_message_is_rejected_at_the_edge
{
    [Test]
    public void Should_log_a_warning_with_the_reasons_and_no_stack()
    {
        var emitted = new List<Serilog.Events.LogEvent>();
        var sink = new Hosting.ExpectedFailureSink(new CollectingSink(emitted));
        var rejected = new Sagas.Validation.RejectedMessageException("MutationCompleted", ["release.path '/etc' is not a release directory of site 1"]);
        var fault = new MassTransit.ConsumerException("consumer failed", rejected);
        var template = new Serilog.Parsing.MessageTemplateParser().Parse("R-FAULT {InputAddress} {MessageId}");

        sink.Emit(new Serilog.Events.LogEvent(DateTimeOffset.UtcNow, Serilog.Events.LogEventLevel.Error, fault, template,
            [new Serilog.Events.LogEventProperty("InputAddress", new Serilog.Events.ScalarValue("rabbitmq://localhost/mutation-intake")),
             new Serilog.Events.LogEventProperty("MessageId", new Serilog.Events.ScalarValue("m-1"))]));

        var line = emitted.Single();
        Assert.Multiple(() =>
        {
            Assert.That(line.Level, Is.EqualTo(Serilog.Events.LogEventLevel.Warning));
            Assert.That(line.Exception, Is.Null);
            Assert.That(line.RenderMessage(), Does.StartWith("R-FAULT \"rabbitmq://localhost/mutation-intake\" \"m-1\": ")
                .And.Contain("is not a release directory of site 1"));
        });
    }

    [Test]
    public void Should_pass_an_unexpected_failure_through_with_its_stack()
    {
        var emitted = new List<Serilog.Events.LogEvent>();
        var sink = new Hosting.ExpectedFailureSink(new CollectingSink(emitted));
        var template = new Serilog.Parsing.MessageTemplateParser().Parse("R-FAULT");
        var original = new Serilog.Events.LogEvent(DateTimeOffset.UtcNow, Serilog.Events.LogEventLevel.Error, new InvalidOperationException("bug"), template, []);

        sink.Emit(original);

        Assert.That(emitted.Single(), Is.SameAs(original));
    }
}

/// <summary>
/// A ledger that is away (PostgreSQL restarting or stopped) is waited out: one warning line per retry naming host:port and
/// the reason, and none of EF's own error lines with their stacks, which the retry repeats.
/// </summary>
public sealed class When_the_ledger_is_away
{
    [Test]
    public async Task Should_log_one_line_naming_the_database_and_drop_efs_echo()
    {
        await using var ledger = new UnreachableLedger();
        var failure = ledger.ReadFailure();
        var emitted = new List<Serilog.Events.LogEvent>();
        var sink = new Hosting.ExpectedFailureSink(new CollectingSink(emitted));
        var parser = new Serilog.Parsing.MessageTemplateParser();

        sink.Emit(new Serilog.Events.LogEvent(DateTimeOffset.UtcNow, Serilog.Events.LogEventLevel.Error, failure,
            parser.Parse("An exception occurred while iterating over the results of a query for context type '{contextType}'."),
            [new Serilog.Events.LogEventProperty("SourceContext", new Serilog.Events.ScalarValue("Microsoft.EntityFrameworkCore.Query"))]));
        sink.Emit(new Serilog.Events.LogEvent(DateTimeOffset.UtcNow, Serilog.Events.LogEventLevel.Warning, new MassTransit.ConsumerException("consumer failed", failure),
            parser.Parse("R-RETRY {InputAddress}"),
            [new Serilog.Events.LogEventProperty("InputAddress", new Serilog.Events.ScalarValue("rabbitmq://localhost/health-check"))]));

        var line = emitted.Single();
        Assert.Multiple(() =>
        {
            Assert.That(line.Level, Is.EqualTo(Serilog.Events.LogEventLevel.Warning));
            Assert.That(line.Exception, Is.Null);
            Assert.That(line.RenderMessage(), Does.StartWith($"R-RETRY \"rabbitmq://localhost/health-check\": \"the ledger is away: Failed to connect to 127.0.0.1:{ledger.Port}")
                .And.Contain("Connection refused"));
        });
    }

    [Test]
    public async Task Should_say_an_endpoints_retries_once_then_every_30_s_with_a_count()
    {
        await using var ledger = new UnreachableLedger();
        var failure = new MassTransit.ConsumerException("consumer failed", ledger.ReadFailure());
        var emitted = new List<Serilog.Events.LogEvent>();
        var sink = new Hosting.ExpectedFailureSink(new CollectingSink(emitted));
        var parser = new Serilog.Parsing.MessageTemplateParser();
        var start = DateTimeOffset.UtcNow;
        void Retry(string endpoint, int second) => sink.Emit(new Serilog.Events.LogEvent(start.AddSeconds(second), Serilog.Events.LogEventLevel.Warning, failure,
            parser.Parse("R-RETRY {InputAddress}"), [new Serilog.Events.LogEventProperty("InputAddress", new Serilog.Events.ScalarValue(endpoint))]));

        // Held messages on health-check retry every second for 40 s; one on mutation-intake retries at 5 s.
        for (var second = 0; second <= 40; second++)
        {
            Retry("rabbitmq://localhost/health-check", second);
            if (second == 5)
            {
                Retry("rabbitmq://localhost/mutation-intake", second);
            }
        }

        var lines = emitted.Select(e => e.RenderMessage()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Count.EqualTo(3));
            Assert.That(lines[0], Does.StartWith("R-RETRY \"rabbitmq://localhost/health-check\": \"the ledger is away").And.Not.Contain("more retries"));
            Assert.That(lines[1], Does.StartWith("R-RETRY \"rabbitmq://localhost/mutation-intake\": \"the ledger is away"));
            Assert.That(lines[2], Does.StartWith("R-RETRY \"rabbitmq://localhost/health-check\"")
                .And.EndWith("(29 more retries of held messages on this endpoint since the last line)"));
            Assert.That(emitted.Select(e => e.Level), Is.All.EqualTo(Serilog.Events.LogEventLevel.Warning));
        });
    }

    [Test]
    public async Task Should_keep_a_message_given_up_on_at_error_in_one_line()
    {
        await using var ledger = new UnreachableLedger();
        var emitted = new List<Serilog.Events.LogEvent>();
        var sink = new Hosting.ExpectedFailureSink(new CollectingSink(emitted));

        // The ledger stayed away past the retry's budget: the message goes to its error queue, which alerts must see.
        sink.Emit(new Serilog.Events.LogEvent(DateTimeOffset.UtcNow, Serilog.Events.LogEventLevel.Error, new MassTransit.ConsumerException("consumer failed", ledger.ReadFailure()),
            new Serilog.Parsing.MessageTemplateParser().Parse("R-FAULT {InputAddress}"),
            [new Serilog.Events.LogEventProperty("InputAddress", new Serilog.Events.ScalarValue("rabbitmq://localhost/health-check"))]));

        var line = emitted.Single();
        Assert.Multiple(() =>
        {
            Assert.That(line.Level, Is.EqualTo(Serilog.Events.LogEventLevel.Error));
            Assert.That(line.Exception, Is.Null);
            Assert.That(line.RenderMessage(), Does.StartWith("R-FAULT \"rabbitmq://localhost/health-check\": \"the ledger is away: Failed to connect"));
        });
    }
}

/// <summary>A first start is an expected condition: an empty PostgreSQL database is migrated without a single error line.</summary>
public sealed class When_the_service_first_starts_on_an_empty_postgresql_database
{
    [Test]
    public async Task Should_migrate_it_without_logging_errors()
    {
        await using var database = await TestDatabase.CreateAsync(Messaging.Persistence.LedgerProvider.Postgres);
        var state = Directory.CreateTempSubdirectory("pressluft-first-").FullName;
        var http = Ports.Free();
        using var run = Cli.Start(["run"], new Dictionary<string, string?>
        {
            ["Pressluft:StateDirectory"] = state,
            ["Pressluft:Http:Url"] = $"http://127.0.0.1:{http}",
            ["Pressluft:Ledger:Provider"] = "Postgres",
            ["Pressluft:Ledger:ConnectionString"] = database.Options.ConnectionString,
        });
        var output = run.StandardOutput.ReadToEndAsync();
        var error = run.StandardError.ReadToEndAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}/") };
        var ready = false;
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!ready && DateTime.UtcNow < deadline && !run.HasExited)
            {
                try
                {
                    using var response = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
                    ready = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(200);
            }
        }
        finally
        {
            run.Kill(entireProcessTree: true);
            await run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Directory.Delete(state, recursive: true);
        }

        var log = await output + await error;
        Assert.Multiple(() =>
        {
            Assert.That(ready, Is.True, log);
            Assert.That(log, Does.Contain("Applying ledger migrations"));
            Assert.That(log, Does.Not.Contain(" ERR]").And.Not.Contain(" FTL]"), log);
        });
    }
}

/// <summary>Keeps what the sink under test emits.</summary>
internal sealed class CollectingSink(List<Serilog.Events.LogEvent> events) : Serilog.Core.ILogEventSink
{
    public void Emit(Serilog.Events.LogEvent logEvent) => events.Add(logEvent);
}

using Pressluft.Runner.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

// Piped output (CI logs, `| less`) gets a width that fits the tables instead of the 80-column fallback.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 160;
}

var verbose = args.Contains("--verbose");
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("pressluft");
    config.SetApplicationVersion(CliHelp.Version);
    config.UseStrictParsing();
    config.SetInterceptor(new CliSession());
    config.SetHelpProvider(new CliHelp(config.Settings));
    config.SetExceptionHandler((exception, _) => CliErrors.Handle(exception, verbose || CliSession.Verbose, args));
    config.AddCommand<RunCommand>("run")
        .WithDescription("Run the service: on RabbitMQ and PostgreSQL when configured, else the embedded default (in-memory bus, SQLite).");
    config.AddCommand<StatusCommand>("status")
        .WithDescription("Environments, releases with health, recent jobs with error codes; --environment for one environment's history, --watch to follow.");
    config.AddCommand<JobCommand>("job")
        .WithDescription("One job: each check's verdict, duration and detail, the error, and the redacted playbook output.");
    config.AddCommand<PublishMutationCommand>("publish-mutation")
        .WithDescription("Publish a MutationCompleted event (for operators and scripts)");
    config.AddCommand<ResetEnvironmentCommand>("reset-environment")
        .WithDescription("Return a failed environment to active (recorded with who and why).");
    config.AddCommand<MigrateCommand>("migrate")
        .WithDescription("Apply the ledger's database migrations.");
    config.AddCommand<DemoCommand>("demo")
        .WithDescription("Show a failing deploy being checked, rolled back and re-checked, on this machine (in-memory bus, SQLite, real Ansible).");
    config.AddCommand<SchemasCommand>("schemas")
        .WithDescription("Write the JSON Schemas of the public contracts (docs/contracts).")
        .IsHidden();
});
return await app.RunAsync(args);

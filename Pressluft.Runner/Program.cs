using Pressluft.Runner.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

// Piped output (CI logs, `| less`) gets a width that fits the tables instead of the 80-column fallback.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 140;
}

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("pressluft");
    config.AddCommand<DemoCommand>("demo")
        .WithDescription("Show a failing deploy being checked, rolled back and re-checked, on this machine (in-memory bus, SQLite, real Ansible).");
});
return await app.RunAsync(args);

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pressluft.Runner.Hosting;
using Pressluft.Runner.Tests.Support;
using Pressluft.Testing;

namespace Pressluft.Runner.Tests;

/// <summary>The sample production configuration under deploy/ is one the service accepts as it stands.</summary>
public sealed class The_sample_production_configuration
{
    [Test]
    public void Should_pass_every_validation_the_service_runs_at_start()
    {
        var file = Path.Combine(Repository.Root, "deploy", "appsettings.production.json");
        var settings = new ConfigurationBuilder().AddJsonFile(file).Build().AsEnumerable().Where(p => p.Value is not null)
            .ToDictionary(p => p.Key, p => p.Value);
        using var host = RunnerHost.CreateBuilder(settings).Build();

        Assert.Multiple(() =>
        {
            Assert.DoesNotThrow(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
            Assert.That(host.Services.GetRequiredService<IOptions<TransportOptions>>().Value.Kind, Is.EqualTo(TransportKind.RabbitMq));
            Assert.That(host.Services.GetRequiredService<IConfiguration>()[ServiceConfiguration.StateDirectoryKey], Is.EqualTo("/var/lib/pressluft"));
        });
    }
}

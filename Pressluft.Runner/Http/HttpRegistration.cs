using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Pressluft.Runner.Http;

public static class HttpRegistration
{
    /// <summary>The HTTP surface and the readiness checks it reports (the bus and outbox register their own).</summary>
    public static IServiceCollection AddPressluftHttp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HttpOptions>()
            .Bind(configuration.GetSection(HttpOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHealthChecks().AddCheck<LedgerHealthCheck>(LedgerHealthCheck.Name, tags: [HttpSurface.ReadyTag], timeout: TimeSpan.FromSeconds(10));
        var options = configuration.GetSection(HttpOptions.SectionName).Get<HttpOptions>() ?? new HttpOptions();
        if (options.Enabled)
        {
            services.AddHostedService<HttpSurface>();
        }

        return services;
    }
}

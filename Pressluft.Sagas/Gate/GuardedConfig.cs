using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Pressluft.Sagas.Gate;

/// <summary>
/// The <see cref="HealthGateOptions"/> in force. Bound and checked when created (bad values throw, naming each key, so
/// the service does not start), then again on every configuration reload: good values replace the ones in force and
/// the modes are logged; bad values are refused with an error naming the key, and the previous values stay. An operator
/// fixing a false rollback with a typo (<c>Disable</c>) must never get an exception storm or a silent fallback instead.
/// </summary>
public sealed class GuardedConfig : IDisposable
{
    private readonly IConfigurationSection _section;
    private readonly ILogger<GuardedConfig> _logger;
    private readonly IDisposable _subscription;
    private volatile HealthGateOptions _current;

    public GuardedConfig(IConfiguration configuration, ILogger<GuardedConfig> logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _section = configuration.GetSection(HealthGateOptions.SectionName);
        _logger = logger;
        _current = Load(out var problems) ?? throw new OptionsValidationException(HealthGateOptions.SectionName, typeof(HealthGateOptions), problems);
        logger.LogInformation("Guarded config in force: {Modes}", _current.DescribeModes());
        WarnAboutSoftModes(_current);
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    /// <summary>The values in force now.</summary>
    public HealthGateOptions Current => _current;

    /// <summary>Binds and checks the section; null with the problems when it cannot be used.</summary>
    public HealthGateOptions? Load(out IReadOnlyList<string> problems)
    {
        HealthGateOptions options;
        try
        {
            options = _section.Get<HealthGateOptions>() ?? new HealthGateOptions();
        }
        catch (InvalidOperationException exception)
        {
            // The binder names the key and the value it could not convert.
            problems = [exception.Message];
            return null;
        }

        problems = options.Problems();
        return problems.Count == 0 ? options : null;
    }

    public void Dispose() => _subscription.Dispose();

    private void Reload()
    {
        var loaded = Load(out var problems);
        if (loaded is null)
        {
            _logger.LogError("Guarded config change refused, keeping {Modes}: {Problems}", _current.DescribeModes(), string.Join("; ", problems));
            return;
        }

        var before = _current.DescribeModes();
        _current = loaded;
        if (loaded.DescribeModes() != before)
        {
            _logger.LogWarning("Guarded config changed: {Modes} (was {Before})", loaded.DescribeModes(), before);
            WarnAboutSoftModes(loaded);
        }
    }

    private void WarnAboutSoftModes(HealthGateOptions options)
    {
        foreach (var jobType in Contracts.JobTypes.Gated.Where(t => options.ModeFor(t) != GateMode.Enforce))
        {
            _logger.LogWarning("Health gate for {JobType} is {Mode}: failed releases are not rolled back", jobType, options.ModeFor(jobType));
        }
    }
}

using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.Extensions.DependencyInjection;
using Pressluft.Messaging.Persistence;
using Pressluft.Testing;

namespace Pressluft.Sagas.Tests;

/// <summary>
/// The service runs on the compiled models committed in <c>Pressluft.Messaging/CompiledModels/</c>. Each must be what
/// <c>dotnet ef dbcontext optimize</c> generates from the context's configuration today: a model change without a new
/// compiled model fails here, with the command that makes one.
/// </summary>
[TestFixtureSource(typeof(TestDatabase), nameof(TestDatabase.Providers))]
public sealed partial class The_compiled_model(LedgerProvider ledger)
{
    [Test]
    public void Should_be_generated_from_the_model_as_configured()
    {
        using var context = CreateContext();
        var folder = Path.Combine(Path.GetTempPath(), $"pressluft-compiled-model-{Guid.NewGuid():N}");
        try
        {
            var generated = Scaffolder(context).ScaffoldModel(
                context.GetService<IDesignTimeModel>().Model,
                folder,
                new CompiledModelCodeGenerationOptions
                {
                    ContextType = context.GetType(),
                    ModelNamespace = $"Pressluft.Messaging.CompiledModels.{ledger}",
                    Language = "C#",
                });
            var committedFolder = Path.Combine(Repository.Root, "Pressluft.Messaging", "CompiledModels", ledger.ToString());
            var committed = Directory.GetFiles(committedFolder, "*.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal);
            var stale = generated
                .Where(file => !File.Exists(Path.Combine(committedFolder, Path.GetFileName(file)))
                               || Code(file) != Code(Path.Combine(committedFolder, Path.GetFileName(file))))
                .Select(Path.GetFileName)
                .ToList();

            var regenerate = $"dotnet ef dbcontext optimize -p Pressluft.Messaging -c {context.GetType().Name} -o CompiledModels/{ledger} -n Pressluft.Messaging.CompiledModels.{ledger}";
            Assert.Multiple(() =>
            {
                Assert.That(stale, Is.Empty, $"the compiled model is out of date; run: {regenerate}");
                Assert.That(committed, Is.EqualTo(generated.Select(Path.GetFileName).Order(StringComparer.Ordinal)),
                    $"files differ from what the generator writes; delete the folder and run: {regenerate}");
            });
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    // The generator gives each model a new id, so two runs on one model differ only there.
    private static string Code(string file) => ModelId().Replace(File.ReadAllText(file), "modelId: (any)");

    [GeneratedRegex("""modelId: new Guid\("[0-9a-f-]+"\)""")]
    private static partial Regex ModelId();

    private DbContext CreateContext() => ledger switch
    {
        LedgerProvider.Sqlite => new SqlitePressluftDbContext((DbContextOptions<SqlitePressluftDbContext>)LedgerStore
            .ConfigureSqlite(new DbContextOptionsBuilder<SqlitePressluftDbContext>(), "Data Source=unused.db").Options),
        _ => new PostgresPressluftDbContext((DbContextOptions<PostgresPressluftDbContext>)LedgerStore
            .ConfigurePostgres(new DbContextOptionsBuilder<PostgresPressluftDbContext>(), "Host=unused;Database=unused").Options),
    };

    // The design-time services dotnet-ef puts together: EF's, the context's, and those the provider names in its assembly.
    private static ICompiledModelScaffolder Scaffolder(DbContext context)
    {
        var services = new ServiceCollection().AddEntityFrameworkDesignTimeServices().AddDbContextDesignTimeServices(context);
        var providerAssembly = Assembly.Load(new AssemblyName(context.Database.ProviderName!));
        var named = providerAssembly.GetCustomAttribute<DesignTimeProviderServicesAttribute>()
                    ?? throw new InvalidOperationException($"{providerAssembly.GetName().Name} names no design-time services");
        var providerServices = (IDesignTimeServices)Activator.CreateInstance(providerAssembly.GetType(named.TypeName, throwOnError: true)!)!;
        providerServices.ConfigureDesignTimeServices(services);
        return services.BuildServiceProvider().GetRequiredService<ICompiledModelScaffolder>();
    }
}

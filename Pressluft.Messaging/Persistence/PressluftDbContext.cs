using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Pressluft.Messaging.Outbox;
using Pressluft.Sagas.StateMachines;

namespace Pressluft.Messaging.Persistence;

/// <summary>
/// The ledger and the saga state, shared per message scope by the gate and (later) the saga repository and outbox.
/// Provider-specific subclasses exist only so each provider has its own migrations.
/// </summary>
public abstract class PressluftDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<SiteRecord> Sites => Set<SiteRecord>();
    public DbSet<EnvironmentRecord> Environments => Set<EnvironmentRecord>();
    public DbSet<ReleaseRecord> Releases => Set<ReleaseRecord>();
    public DbSet<ReleaseHealthTransitionRecord> ReleaseHealthTransitions => Set<ReleaseHealthTransitionRecord>();
    public DbSet<EnvironmentStatusChangeRecord> EnvironmentStatusChanges => Set<EnvironmentStatusChangeRecord>();
    public DbSet<JobRecord> Jobs => Set<JobRecord>();
    public DbSet<GateRecord> Gates => Set<GateRecord>();
    public DbSet<ReleaseLifecycleState> ReleaseLifecycleSagas => Set<ReleaseLifecycleState>();
    public DbSet<InboxState> InboxStates => Set<InboxState>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    /// <summary>The SQL dialect of this context's provider (asking the provider for its name allocates on every call).</summary>
    public LedgerDialect Dialect => this is PostgresPressluftDbContext ? LedgerDialect.Postgres : LedgerDialect.Sqlite;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Everything is UTC; SQLite hands DateTime back unspecified, and Npgsql rejects non-UTC timestamptz.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<string>().HaveMaxLength(4000);
    }

    // Three concerns share the database so that one saga transition is one transaction: the ledger, the saga's state,
    // and the inbox/outbox.
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ConfigureLedger(modelBuilder);
        ConfigureSagaState(modelBuilder);
        ConfigureInboxOutbox(modelBuilder);
    }

    private static void ConfigureLedger(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SiteRecord>(e =>
        {
            e.ToTable("sites");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Slug).HasMaxLength(200);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Status).HasMaxLength(32);

            // Environments of one site are gated by different saga instances; the site row they share is guarded.
            e.Property(x => x.StateVersion).IsConcurrencyToken();
        });

        modelBuilder.Entity<EnvironmentRecord>(e =>
        {
            e.ToTable("environments");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Slug).HasMaxLength(200);
            e.Property(x => x.EnvironmentType).HasMaxLength(32);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.PreviewUrl).HasMaxLength(2048);
            e.Property(x => x.StateVersion).IsConcurrencyToken();
            e.HasIndex(x => x.SiteId);
        });

        modelBuilder.Entity<ReleaseRecord>(e =>
        {
            e.ToTable("releases");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.SourceType).HasMaxLength(32);
            e.Property(x => x.HealthStatus).HasMaxLength(32);
            e.HasIndex(x => new { x.EnvironmentId, x.HealthStatus, x.CreatedAt });
        });

        modelBuilder.Entity<ReleaseHealthTransitionRecord>(e =>
        {
            e.ToTable("release_health_transitions");
            e.HasKey(x => x.Id);
            e.Property(x => x.FromStatus).HasMaxLength(32);
            e.Property(x => x.ToStatus).HasMaxLength(32);
            e.HasIndex(x => x.ReleaseId);
        });

        modelBuilder.Entity<EnvironmentStatusChangeRecord>(e =>
        {
            e.ToTable("environment_status_changes");
            e.HasKey(x => x.Id);
            e.Property(x => x.FromStatus).HasMaxLength(32);
            e.Property(x => x.ToStatus).HasMaxLength(32);
            e.HasIndex(x => new { x.EnvironmentId, x.At });
        });

        modelBuilder.Entity<JobRecord>(e =>
        {
            e.ToTable("jobs");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.JobType).HasMaxLength(64);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.ErrorCode).HasMaxLength(64);
            e.Property(x => x.LockedBy).HasMaxLength(256);
            e.Property(x => x.PayloadJson).HasMaxLength(16_000);
            e.Property(x => x.ErrorJson).HasMaxLength(64_000);
            e.HasIndex(x => new { x.EnvironmentId, x.CreatedAt });
            e.HasIndex(x => x.MutationJobId);
        });

        modelBuilder.Entity<GateRecord>(e =>
        {
            e.ToTable("gates");
            e.HasKey(x => x.MutationJobId);
            e.Property(x => x.MutationJobId).ValueGeneratedNever();
            e.Property(x => x.MutationJobType).HasMaxLength(64);
            e.Property(x => x.Mode).HasMaxLength(32);
            e.Property(x => x.Outcome).HasMaxLength(32);
            e.Property(x => x.ErrorCode).HasMaxLength(64);
            e.HasIndex(x => new { x.EnvironmentId, x.StartedAt });
        });
    }

    private static void ConfigureSagaState(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<ReleaseLifecycleState>(e =>
        {
            e.ToTable("release_lifecycle_sagas");
            e.HasKey(x => x.CorrelationId);
            e.Property(x => x.CorrelationId).ValueGeneratedNever().HasColumnName("environment_id");
            e.Property(x => x.CurrentState).HasMaxLength(64);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Property(x => x.NodeHostname).HasMaxLength(255);
            e.Property(x => x.NodeSshUser).HasMaxLength(64);
            e.Property(x => x.EnvironmentUrl).HasMaxLength(2048);
            e.Property(x => x.MutationJobType).HasMaxLength(64);
            e.Property(x => x.GateMode).HasMaxLength(32);
            e.Property(x => x.FailureCode).HasMaxLength(64);
        });

    private static void ConfigureInboxOutbox(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<InboxState>(e =>
        {
            e.ToTable("inbox_states");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.MessageId, x.ConsumerId }).IsUnique();
            e.HasIndex(x => x.Delivered);
        });

        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox_messages");
            e.HasKey(x => x.SequenceNumber);
            e.Property(x => x.Headers).HasMaxLength(64_000);
            e.Property(x => x.Properties).HasMaxLength(64_000);
            e.Property(x => x.Body).HasMaxLength(1_000_000);
            e.Property(x => x.ContentType).HasMaxLength(256);
            e.Property(x => x.MessageType).HasMaxLength(2048);
            e.Property(x => x.SourceAddress).HasMaxLength(2048);
            e.Property(x => x.DestinationAddress).HasMaxLength(2048);
            e.Property(x => x.ResponseAddress).HasMaxLength(2048);
            e.Property(x => x.FaultAddress).HasMaxLength(2048);
            e.HasIndex(x => new { x.InboxMessageId, x.InboxConsumerId, x.SequenceNumber });
            e.HasIndex(x => x.MessageId);
            e.HasIndex(x => x.EnqueueTime);
        });
    }

    internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

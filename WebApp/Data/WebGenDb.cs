using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace WebGen.WebApp.Data;

/// <summary>
/// The web app's one database: runs and their history, reviews, and the class (Identity's accounts, settings,
/// invitation codes). Each provider has its own subclass so that each has its own migrations (Migrations/Sqlite,
/// Migrations/Postgres); services ask for this base type. It also keeps the Data Protection keys, so every front end on
/// one database reads the cookies any other wrote.
/// </summary>
public abstract class WebGenDb(DbContextOptions options) : IdentityDbContext<IdentityUser>(options), IDataProtectionKeyContext
{
    public DbSet<RunEntity> Runs => Set<RunEntity>();
    public DbSet<MetricPointEntity> MetricPoints => Set<MetricPointEntity>();
    public DbSet<ClassSettingsEntity> ClassSettings => Set<ClassSettingsEntity>();
    public DbSet<InvitationEntity> Invitations => Set<InvitationEntity>();
    public DbSet<ReviewEntity> Reviews => Set<ReviewEntity>();
    public DbSet<AssignmentEntity> Assignments => Set<AssignmentEntity>();
    public DbSet<AssignmentPartEntity> AssignmentParts => Set<AssignmentPartEntity>();
    public DbSet<SubmissionEntity> Submissions => Set<SubmissionEntity>();
    public DbSet<GradeChangeEntity> GradeChanges => Set<GradeChangeEntity>();
    public DbSet<RegradeEntity> Regrades => Set<RegradeEntity>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<WorkerEntity> Workers => Set<WorkerEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfiguration(new RunEntityConfiguration());
        modelBuilder.ApplyConfiguration(new MetricPointEntityConfiguration());
        modelBuilder.ApplyConfiguration(new ClassSettingsEntityConfiguration());
        modelBuilder.ApplyConfiguration(new InvitationEntityConfiguration());
        modelBuilder.ApplyConfiguration(new ReviewEntityConfiguration());
        modelBuilder.ApplyConfiguration(new AssignmentEntityConfiguration());
        modelBuilder.ApplyConfiguration(new AssignmentPartEntityConfiguration());
        modelBuilder.ApplyConfiguration(new SubmissionEntityConfiguration());
        modelBuilder.ApplyConfiguration(new GradeChangeEntityConfiguration());
        modelBuilder.ApplyConfiguration(new RegradeEntityConfiguration());
        modelBuilder.ApplyConfiguration(new WorkerEntityConfiguration());
    }
}

/// <summary>The embedded default; its migrations are in Migrations/Sqlite.</summary>
public sealed class SqliteWebGenDb(DbContextOptions<SqliteWebGenDb> options) : WebGenDb(options);

/// <summary>A shared server for a class; its migrations are in Migrations/Postgres.</summary>
public sealed class PostgresWebGenDb(DbContextOptions<PostgresWebGenDb> options) : WebGenDb(options);

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace WebGen.WebApp.Data;

/// <summary>Who may register in class mode. Stored by name.</summary>
public enum RegistrationMode
{
    Invitation,
    Open,
}

/// <summary>The class's one row of settings, as stored beside the runs.</summary>
public sealed class ClassSettingsEntity
{
    public const int SingleId = 1;

    public int Id { get; set; } = SingleId;
    public RegistrationMode Registration { get; set; }
    public int MaxRunningPerUser { get; set; }
    public int MaxQueuedPerUser { get; set; }
    public int MaxIterationsPerRun { get; set; }
    public int MaxBatchSizePerRun { get; set; }
    public int MaxZDimPerRun { get; set; }
    public int MaxKPerRun { get; set; }
    public int MinCheckpointEvery { get; set; }
    public int DiskQuotaMB { get; set; }
}

public sealed class ClassSettingsEntityConfiguration : IEntityTypeConfiguration<ClassSettingsEntity>
{
    public void Configure(EntityTypeBuilder<ClassSettingsEntity> settings)
    {
        settings.ToTable("ClassSettings");
        settings.Property(c => c.Id).ValueGeneratedNever();
        settings.Property(c => c.Registration).HasConversion<string>();
    }
}

/// <summary>A registration code the instructor hands out; each opens one student account.</summary>
public sealed class InvitationEntity
{
    public required string Code { get; set; }
    public DateTime CreatedUtc { get; set; }
    public string? UsedBy { get; set; }
    public DateTime? UsedUtc { get; set; }
}

public sealed class InvitationEntityConfiguration : IEntityTypeConfiguration<InvitationEntity>
{
    public void Configure(EntityTypeBuilder<InvitationEntity> invitation)
    {
        invitation.ToTable("Invitations");
        invitation.HasKey(i => i.Code);
    }
}

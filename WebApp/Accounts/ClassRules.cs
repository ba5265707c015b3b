using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebGen.Shared;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Accounts;

/// <summary>
/// What the instructor decides for the class: who may register, how much of the queue a student may take, the largest
/// settings a student's run may have (batch, z, k, and how often it may checkpoint) and the disk a student's runs may use.
/// </summary>
public sealed record ClassLimits(
    RegistrationMode Registration, int MaxRunningPerUser, int MaxQueuedPerUser, int MaxIterationsPerRun,
    int MaxBatchSizePerRun, int MaxZDimPerRun, int MaxKPerRun, int MinCheckpointEvery, int DiskQuotaMB)
{
    public const int MaxIterations = 10_000_000;
    public const int MaxRuns = 1000;
    /// <summary>The largest disk quota an instructor may give (1 TB).</summary>
    public const int MaxDiskQuotaMB = 1024 * 1024;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxRunningPerUser is < 1 or > MaxRuns)
            errors.Add($"maxRunningPerUser {MaxRunningPerUser}: accepted values are 1 to {MaxRuns}.");
        if (MaxQueuedPerUser is < 1 or > MaxRuns)
            errors.Add($"maxQueuedPerUser {MaxQueuedPerUser}: accepted values are 1 to {MaxRuns}.");
        if (MaxIterationsPerRun is < 1 or > MaxIterations)
            errors.Add($"maxIterationsPerRun {MaxIterationsPerRun}: accepted values are 1 to {MaxIterations}.");
        // The students' maxima lie within what any run accepts (Hyperparameters).
        if (!Hyperparameters.BatchSize.Contains(MaxBatchSizePerRun))
            errors.Add($"maxBatchSizePerRun {MaxBatchSizePerRun}: accepted values are {Hyperparameters.BatchSize.Accepted}.");
        if (!Hyperparameters.ZDim.Contains(MaxZDimPerRun))
            errors.Add($"maxZDimPerRun {MaxZDimPerRun}: accepted values are {Hyperparameters.ZDim.Accepted}.");
        if (!Hyperparameters.K.Contains(MaxKPerRun))
            errors.Add($"maxKPerRun {MaxKPerRun}: accepted values are {Hyperparameters.K.Accepted}.");
        if (MinCheckpointEvery is < 1 or > MaxIterations)
            errors.Add($"minCheckpointEvery {MinCheckpointEvery}: accepted values are 1 to {MaxIterations}.");
        if (DiskQuotaMB is < 1 or > MaxDiskQuotaMB)
            errors.Add($"diskQuotaMB {DiskQuotaMB}: accepted values are 1 to {MaxDiskQuotaMB}.");
        if (!Enum.IsDefined(Registration))
            errors.Add($"registration {Registration}: accepted values are invitation, open.");
        return errors;
    }

    /// <summary>
    /// A student's run against every maximum above, one message per field over it, keyed by the field's name (k only
    /// for a GMVAE, the one model that uses it).
    /// </summary>
    public IReadOnlyDictionary<string, string> ValidateRun(TrainingOptions options)
    {
        var errors = new Dictionary<string, string>();
        void AtMost(WholeNumber field, int limit)
        {
            if (field.Get(options) > limit)
                errors[field.Name] = $"{field.Name} {field.Get(options)}: accepted values are {field.Min} to {limit} (the instructor's limit per run).";
        }
        AtMost(Hyperparameters.Iterations, MaxIterationsPerRun);
        AtMost(Hyperparameters.BatchSize, MaxBatchSizePerRun);
        AtMost(Hyperparameters.ZDim, MaxZDimPerRun);
        if (options.Model == ModelKind.Gmvae)
            AtMost(Hyperparameters.K, MaxKPerRun);
        if (options.CheckpointEvery < MinCheckpointEvery)
            errors[Hyperparameters.CheckpointEvery.Name] =
                $"checkpointEvery {options.CheckpointEvery}: accepted values are {MinCheckpointEvery} or more (the instructor's limit per run).";
        return errors;
    }

    /// <summary>
    /// Every refusal of a run's options, one per field: the table's ranges, and for a student's run (when
    /// <paramref name="limits"/> is given) the instructor's maxima on the fields the table accepts. The form and the
    /// run catalogue both ask here, so they refuse alike.
    /// </summary>
    public static Dictionary<string, string> Refusals(TrainingOptions options, ClassLimits? limits)
    {
        var refused = Hyperparameters.Validate(options).ToDictionary();
        foreach (var (field, error) in limits?.ValidateRun(options) ?? new Dictionary<string, string>())
            refused.TryAdd(field, error);
        return refused;
    }

    public long DiskQuotaBytes => DiskQuotaMB * 1024L * 1024;
}

/// <summary>
/// The class's current limits, kept in memory for the queue and stored in the database so the instructor's changes
/// last; <see cref="Changed"/> tells the queue, since a higher running limit may let waiting runs start.
/// </summary>
public sealed class ClassRules(IDbContextFactory<WebGenDb> dbFactory, IOptions<WebGenOptions> options)
{
    private ClassLimits? current;

    public bool IsClassMode => options.Value.IsClassMode;

    public ClassLimits Current => current ?? throw new InvalidOperationException("The class settings are read when the store is created.");

    public event Action? Changed;

    /// <summary>Reads the stored settings, first storing configuration's when there are none yet.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.ClassSettings.SingleOrDefaultAsync(cancellationToken);
        if (stored is null)
        {
            var initial = FromConfiguration(options.Value.Class);
            if (initial.Validate() is { Count: > 0 } errors)
                throw new InvalidOperationException($"WebGen:Class: {string.Join(" ", errors)}");
            stored = new ClassSettingsEntity();
            Copy(initial, stored);
            db.ClassSettings.Add(stored);
            await db.SaveChangesAsync(cancellationToken);
        }
        current = ToLimits(stored);
    }

    /// <summary>Stores the instructor's new limits; returns what is out of range instead.</summary>
    public async Task<IReadOnlyList<string>> SaveAsync(ClassLimits limits, CancellationToken cancellationToken = default)
    {
        if (limits.Validate() is { Count: > 0 } errors)
            return errors;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.ClassSettings.SingleAsync(cancellationToken);
        Copy(limits, stored);
        await db.SaveChangesAsync(cancellationToken);
        current = limits;
        Changed?.Invoke();
        return [];
    }

    private static ClassLimits FromConfiguration(ClassOptions o)
    {
        var registration = o.Registration.ToLowerInvariant() switch
        {
            "invitation" => RegistrationMode.Invitation,
            "open" => RegistrationMode.Open,
            _ => throw new InvalidOperationException($"WebGen:Class:Registration {o.Registration}: accepted values are invitation, open."),
        };
        return new(registration, o.MaxRunningPerUser, o.MaxQueuedPerUser, o.MaxIterationsPerRun,
            o.MaxBatchSizePerRun, o.MaxZDimPerRun, o.MaxKPerRun, o.MinCheckpointEvery, o.DiskQuotaMB);
    }

    private static ClassLimits ToLimits(ClassSettingsEntity s) => new(s.Registration, s.MaxRunningPerUser, s.MaxQueuedPerUser,
        s.MaxIterationsPerRun, s.MaxBatchSizePerRun, s.MaxZDimPerRun, s.MaxKPerRun, s.MinCheckpointEvery, s.DiskQuotaMB);

    private static void Copy(ClassLimits limits, ClassSettingsEntity stored)
    {
        (stored.Registration, stored.MaxRunningPerUser, stored.MaxQueuedPerUser, stored.MaxIterationsPerRun) =
            (limits.Registration, limits.MaxRunningPerUser, limits.MaxQueuedPerUser, limits.MaxIterationsPerRun);
        (stored.MaxBatchSizePerRun, stored.MaxZDimPerRun, stored.MaxKPerRun, stored.MinCheckpointEvery, stored.DiskQuotaMB) =
            (limits.MaxBatchSizePerRun, limits.MaxZDimPerRun, limits.MaxKPerRun, limits.MinCheckpointEvery, limits.DiskQuotaMB);
    }
}

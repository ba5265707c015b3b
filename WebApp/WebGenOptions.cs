using WebGen.WebApp.Accounts;

namespace WebGen.WebApp;

/// <summary>The app's settings, bound from the "WebGen" configuration section (appsettings, environment, flags).</summary>
public sealed class WebGenOptions
{
    public const string Section = "WebGen";

    /// <summary>The settings bound from <paramref name="configuration"/>, for choices made while services are registered.</summary>
    public static WebGenOptions Read(IConfiguration configuration) => configuration.GetSection(Section).Get<WebGenOptions>() ?? new();

    /// <summary>The data folder holding mnist/ (and svhn/); <c>./webgen serve</c> passes the set-up's folder.</summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>
    /// The one root of every run file (checkpoints, previews, grids; uploads under reviews/), one folder per run: on
    /// several servers a shared folder every web and worker process mounts at this path.
    /// </summary>
    public string RunsFolder { get; set; } = "../runs";

    /// <summary>
    /// What this process does: "web" (pages, API, hub; trains nothing), "worker" (trains runs and evaluates reviews), or "both" (the
    /// default, one process as <c>./webgen serve</c> runs it). Also the <c>--roles</c> flag.
    /// </summary>
    public string Roles { get; set; } = BothRoles;

    public const string WebRole = "web";
    public const string WorkerRole = "worker";
    public const string BothRoles = "both";

    public bool IsWeb => !Roles.Equals(WorkerRole, StringComparison.OrdinalIgnoreCase);
    public bool IsWorker => !Roles.Equals(WebRole, StringComparison.OrdinalIgnoreCase);

    /// <summary>Static files served beside the framework's (defaults to the repository's wwwroot-assets/).</summary>
    public string? AssetsFolder { get; set; }

    /// <summary>"sqlite" (the embedded default) or "postgres"; either reads the connection string "Runs".</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>
    /// "single" (the default): one person on a laptop, no login, every run theirs. "class": accounts with the Student
    /// and Instructor roles, students see only their own runs, and the queue is shared fairly between them.
    /// </summary>
    public string Mode { get; set; } = SingleMode;

    public const string SingleMode = "single";
    public const string ClassMode = "class";

    public bool IsClassMode => Mode.Equals(ClassMode, StringComparison.OrdinalIgnoreCase);

    /// <summary>Prepare the database (migrations, the class's settings, the instructor) and exit: a deployment's migrate step.</summary>
    public bool MigrateOnly { get; set; }

    /// <summary>Class mode's settings (section "WebGen:Class").</summary>
    public ClassOptions Class { get; set; } = new();

    /// <summary>What the worker may spend on a run (section "WebGen:Worker").</summary>
    public WorkerOptions Worker { get; set; } = new();

    /// <summary>Web runs checkpoint at least this often, so a restart loses at most this many steps.</summary>
    public int CheckpointEvery { get; set; } = 1000;

    /// <summary>Steps between two preview sample grids on the run page.</summary>
    public int PreviewEvery { get; set; } = 500;

    /// <summary>The largest checkpoint an instructor may upload for review (64 MB; a homework checkpoint is 3 to 5 MB).</summary>
    public long MaxUploadBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Relative folders are relative to the app's content root, whatever the working directory.</summary>
    public void ResolveAgainst(string contentRoot)
    {
        DataFolder = Path.GetFullPath(DataFolder, contentRoot);
        RunsFolder = Path.GetFullPath(RunsFolder, contentRoot);
    }

    /// <summary>The folder of one web run: its checkpoints, run.json, previews and final grid.</summary>
    public string RunFolder(Guid id) => Path.Combine(RunsFolder, id.ToString("N"));
}

/// <summary>The worker's settings, section "WebGen:Worker".</summary>
public sealed class WorkerOptions
{
    /// <summary>How many runs one worker trains at once on its device; on a CPU each gets cores / slots threads.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>The most slots a worker may have: each is a training thread and a run's memory.</summary>
    public const int MaxSlots = 64;

    /// <summary>How often a worker tells the database it is alive.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A worker silent this long is dead: its runs are handed out again and resume from their checkpoints (also the
    /// job system's invisibility timeout).
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What the server keeps for itself (the runtime, libtorch, pages, hub connections) before runs share the rest.</summary>
    public const long ServerReserveBytes = 1L << 30;

    /// <summary>
    /// The peak memory one run may be estimated to need, in MB; unset, three quarters of the memory the process may
    /// use (the machine's or the container's limit) less <see cref="ServerReserveBytes"/>, shared by the runs that
    /// train at once.
    /// </summary>
    public int? MemoryBudgetMB { get; set; }

    /// <summary>The refusal of worker settings that cannot work; null when they can.</summary>
    public string? Refusal() =>
        Slots is < 1 or > MaxSlots ? $"WebGen:Worker:Slots {Slots}: accepted values are 1 to {MaxSlots}."
        : Heartbeat < TimeSpan.FromMilliseconds(100) ? $"WebGen:Worker:Heartbeat {Heartbeat}: accepted values are 00:00:00.1 or longer."
        : Lease < 2 * Heartbeat ? $"WebGen:Worker:Lease {Lease}: accepted values are at least twice the heartbeat ({2 * Heartbeat})."
        : null;

    public long MemoryBudgetBytes(int concurrentRuns) => MemoryBudgetMB is { } mb
        ? mb * (1L << 20)
        : Math.Max(0, (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 3 / 4) - ServerReserveBytes) / Math.Max(1, concurrentRuns);
}

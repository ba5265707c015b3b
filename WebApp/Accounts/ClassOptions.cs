namespace WebGen.WebApp.Accounts;

/// <summary>
/// Class mode's settings, section "WebGen:Class". The limits and the registration mode are only the initial values:
/// the first start in class mode stores them, and from then on the instructor changes them live on the class page.
/// </summary>
public sealed class ClassOptions
{
    /// <summary>The initial instructor's e-mail (their user name); the account is created at start when missing.</summary>
    public string? InstructorEmail { get; set; }

    /// <summary>The initial instructor's password, used only to create the account.</summary>
    public string? InstructorPassword { get; set; }

    /// <summary>"invitation" (a code from the instructor is needed to register) or "open" (anyone can register).</summary>
    public string Registration { get; set; } = "invitation";

    public int MaxRunningPerUser { get; set; } = 1;

    public int MaxQueuedPerUser { get; set; } = 3;

    public int MaxIterationsPerRun { get; set; } = 30_000;

    // The students' maxima leave room to explore around the homework's settings (batch 100, z 10 or 64, k 500, a
    // checkpoint every 10,000 steps); a GMVAE at all three maxima is estimated at 9 GB at its peak (MemoryEstimate),
    // within the default memory budget of a 16 GB server.

    /// <summary>The largest batch a student's run may use: five times the homework's 100.</summary>
    public int MaxBatchSizePerRun { get; set; } = 500;

    /// <summary>The largest z a student's run may use: twice the SSVAE's 64.</summary>
    public int MaxZDimPerRun { get; set; } = 128;

    /// <summary>The most mixture components a student's GMVAE may have: twice the homework's 500.</summary>
    public int MaxKPerRun { get; set; } = 1000;

    /// <summary>
    /// The fewest steps between two checkpoints of a student's run: the server's own interval (WebGen:CheckpointEvery),
    /// so a student cannot make it write more files than it writes anyway.
    /// </summary>
    public int MinCheckpointEvery { get; set; } = 1000;

    /// <summary>The disk a student's run folders may use in all (checkpoints, grids, previews), in MB.</summary>
    public int DiskQuotaMB { get; set; } = 1024;
}

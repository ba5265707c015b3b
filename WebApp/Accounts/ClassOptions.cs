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
}

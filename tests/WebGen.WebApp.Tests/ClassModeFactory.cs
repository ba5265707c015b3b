namespace WebGen.WebApp.Tests;

/// <summary>The app in class mode: accounts, roles and the fair queue, with an instructor created at start.</summary>
public class ClassModeFactory : WebGenFactory
{
    public const string InstructorEmail = "teacher@webgen.test";
    public const string InstructorPassword = "Teach-Gen-2025!";
    /// <summary>A password that meets the app's rules, for students the tests register.</summary>
    public const string StudentPassword = "Student-Pass-1";

    public ClassModeFactory() : this([]) { }

    protected ClassModeFactory(Dictionary<string, string?> settings) : base(new Dictionary<string, string?>
    {
        ["WebGen:Mode"] = "class",
        ["WebGen:Class:InstructorEmail"] = InstructorEmail,
        ["WebGen:Class:InstructorPassword"] = InstructorPassword,
        ["WebGen:Class:Registration"] = "open",
    }.Concat(settings).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value))
    { }
}

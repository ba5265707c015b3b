using WebGen.Compute.Evaluation;
using WebGen.Shared;
using WebGen.WebApp.Assignments;

namespace WebGen.WebApp.Tests;

/// <summary>The name pattern of a batch upload: how the files that learning-management systems export map to students and parts.</summary>
public sealed class BatchPatternTests
{
    private static readonly ClassStudent[] Class =
        [new("1", "jane.doe@uni.test"), new("2", "doejane@uni.test"), new("3", "sam@uni.test"), new("4", "sam@other.test")];

    private static readonly PartState Vae = new(Guid.NewGuid(), ModelKind.Vae, null, Grading.For(ModelKind.Vae, 1), 10);
    private static readonly PartState SsvaeGw0 = new(Guid.NewGuid(), ModelKind.Ssvae, 0, Grading.For(ModelKind.Ssvae, 0), 10);

    private static (string? Student, string? Part, string? Problem) Match(string name, string pattern = BatchPattern.Default, PartState? batchPart = null)
    {
        var (student, part, problem) = BatchPattern.Match(BatchPattern.Parse(pattern).Regex!, name, Class, [Vae, SsvaeGw0], batchPart);
        return (student?.Name, part?.Name, problem);
    }

    [Fact]
    public void TheDefaultPattern_ReadsAMoodleFolder_AsTheStudentsFullName() =>
        Assert.Equal(("jane.doe@uni.test", "VAE", null), Match("Jane Doe_1234_assignsubmission_file_/vae.pt", batchPart: Vae));

    [Fact]
    public void TheDefaultPattern_ReadsACanvasFileName_AsTheStudentsLogin() =>
        Assert.Equal(("doejane@uni.test", "VAE", null), Match("doejane_1234_5678_vae.pt", batchPart: Vae));

    [Fact]
    public void APartGroup_NamesThePart_LettersAndDigitsOnly() =>
        Assert.Equal(("doejane@uni.test", "SSVAE gw=0", null), Match("doejane-SSVAE_gw0.pt", "^(?<student>[^-]+)-(?<part>.+)\\.pt$"));

    [Fact]
    public void ANameThatFitsTwoStudents_IsUnmatched_NamingBoth() =>
        Assert.Equal((null, null, "unmatched: \"sam\" fits sam@uni.test, sam@other.test; make the pattern tell them apart."), Match("sam_1_vae.pt", batchPart: Vae));

    [Fact]
    public void WithNoPartNamedAndNoneChosen_TheFileIsUnmatched_ListingTheParts() =>
        Assert.Equal(("doejane@uni.test", null, "unmatched part: choose the batch's part, or name it with a group (?<part>…) (VAE, SSVAE gw=0)."), Match("doejane_1.pt"));
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace WebGen.WebApp.Tests;

/// <summary>The class mode app with small submission limits, so floods and large files reach them quickly.</summary>
public sealed class SmallSubmissionLimitsFactory() : ClassModeFactory(new()
{
    ["WebGen:Assignments:MaxSubmissionsPerPart"] = "2",
    ["WebGen:MaxUploadBytes"] = "3000000", // the VAE fixture (2.6 MB) fits, the SSVAE one (4.2 MB) does not
});

/// <summary>A student cannot flood an assignment or send a file over the upload limit.</summary>
public sealed class SubmissionLimitsTests(SmallSubmissionLimitsFactory app) : IClassFixture<SmallSubmissionLimitsFactory>
{
    [Fact]
    public async Task SubmissionsOverThePartsLimit_AndFilesOverTheUploadLimit_AreRefusedNamingTheLimit()
    {
        using var instructor = await app.AsInstructorAsync();
        using var student = await app.NewStudentAsync("flood@limits.test");
        var hw = await instructor.CreateAsync(app, new { title = "HW2", dueUtc = DateTime.UtcNow.AddDays(1), parts = new[] { new { model = "vae" } } });
        var tooLarge = await student.UploadAsync(hw.Id, hw.Parts[0].Id.ToString(), "ssvae_legacy.pt", File.ReadAllBytes(ReviewsTests.Fixture("ssvae_legacy.pt")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("larger than the limit of", await DetailAsync(tooLarge));

        for (var i = 0; i < 2; i++)
            await (await student.UploadAsync(hw, hw.Parts[0], "vae_zip.pt")).SubmittedAsync(app);
        // Refused before the file is read: a flood costs no evaluation.
        var third = await student.UploadAsync(hw.Id, hw.Parts[0].Id.ToString(), "x.pt", new byte[10_000]);
        Assert.Equal(HttpStatusCode.BadRequest, third.StatusCode);
        Assert.Equal("You have submitted VAE 2 times; the limit is 2 (the latest counts).", await DetailAsync(third));
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
}

using System.Net.Http.Json;
using Microsoft.Playwright;
using WebGen.WebApp.Assignments;

namespace WebGen.WebApp.Tests;

/// <summary>Grading a class in a real browser: the instructor's assignment page with its duplicate pairs, a student's view.</summary>
public sealed class AssignmentsBrowserTests : IAsyncLifetime
{
    private readonly BrowserHost<ClassModeFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

    [Fact]
    public async Task TheInstructor_SetsAnAssignmentSeesDuplicatesAndReleases_AStudentSeesOnlyTheirOwnGrade()
    {
        var app = host.App;
        var page = await host.NewPageAsync();
        await SignIn.LogInAsync(page, ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Assignments", Exact = true }).ClickAsync();
        await page.GetByTestId("assignment-title").Locator("input").FillAsync("Homework 2");
        await page.GetByTestId("assignment-create").ClickAsync();
        await page.WaitForURLAsync("**/assignments/*");
        await Assertions.Expect(page.GetByTestId("assignment-heading")).ToHaveTextAsync("Homework 2");

        using var instructor = await app.AsInstructorAsync();
        var hw = (await instructor.Client.GetFromJsonAsync<AssignmentState[]>("/api/assignments", app.Json))!.Single();
        Assert.Equal(["VAE", "GMVAE", "SSVAE gw=0", "SSVAE gw=1"], hw.Parts.Select(p => p.Name));
        using var ada = await app.NewStudentAsync("ada@browser.test");
        using var ben = await app.NewStudentAsync("ben@browser.test");
        var adas = await (await ada.UploadAsync(hw, hw.Parts[2], "ssvae_legacy.pt")).SubmittedAsync(app);
        var bens = await (await ben.UploadAsync(hw, hw.Parts[2], "ssvae_legacy.pt")).SubmittedAsync(app);
        await instructor.EvaluatedAsync(app, adas.Id);
        await instructor.EvaluatedAsync(app, bens.Id);
        (await instructor.Client.PutAsJsonAsync($"/api/submissions/{adas.Id}/comment", new { comment = "Your classifier is untrained: see the loss." })).EnsureSuccessStatusCode();

        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("submission-row")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByTestId("duplicate-pairs")).ToContainTextAsync("identical weights");
        await page.GetByTestId("release").ClickAsync();
        await Assertions.Expect(page.GetByTestId("release-state")).ToHaveTextAsync("grades released");
        await ScreenshotAsync(page, "assignment-instructor.png");
        await page.GetByTestId("duplicate-pairs").ScreenshotAsync(new() { Path = ScreenshotPath("duplicate-pairs.png") ?? Path.GetTempFileName() });

        var student = await host.NewPageAsync();
        await SignIn.LogInAsync(student, ada.Email, ClassModeFactory.StudentPassword);
        await student.GotoAsync($"/assignments/{hw.Id}");
        await Assertions.Expect(student.GetByTestId("submission-row")).ToHaveCountAsync(1);
        await Assertions.Expect(student.GetByTestId("duplicate-pairs")).ToHaveCountAsync(0);
        await student.GetByRole(AriaRole.Link, new() { Name = "SSVAE gw=0" }).ClickAsync();
        await Assertions.Expect(student.GetByTestId("submission-points")).ToHaveTextAsync("Grade: 0 of 10 points");
        await Assertions.Expect(student.GetByTestId("submission-comment")).ToContainTextAsync("Your classifier is untrained");
        await ScreenshotAsync(student, "assignment-student.png");
        await student.GotoAsync($"/submissions/{bens.Id}");
        await Assertions.Expect(student.GetByTestId("unknown-submission")).ToBeVisibleAsync();
    }

    private static string? ScreenshotPath(string name) =>
        Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder ? Path.Combine(folder, name) : null;

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (ScreenshotPath(name) is { } path)
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
    }
}

using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Assignments;
using WebGen.WebApp.Data;

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
        // Filled and clicked before the page is live, the prerendered form drops the title and the click.
        await page.WaitForURLAsync("**/assignments");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await page.Locator("[data-testid=assignment-title] input, input[data-testid=assignment-title]").FillAsync("Homework 2");
        await page.GetByTestId("assignment-create").ClickAsync();
        await page.WaitForURLAsync("**/assignments/*");
        await Assertions.Expect(page.GetByTestId("assignment-heading")).ToHaveTextAsync("Homework 2");

        // The class's side, through the services: this host serves the browser, not the test's HTTP client.
        var service = app.Services.GetRequiredService<AssignmentService>();
        var hw = Assert.Single(await service.ListAsync());
        Assert.Equal(["VAE", "GMVAE", "SSVAE gw=0", "SSVAE gw=1"], hw.Parts.Select(p => p.Name));
        var ada = await StudentAsync("ada@browser.test");
        var ben = await StudentAsync("ben@browser.test");
        var adas = await SubmitAsync(service, ada, hw, hw.Parts[2]);
        var bens = await SubmitAsync(service, ben, hw, hw.Parts[2]);
        await EvaluatedAsync(service, adas);
        await EvaluatedAsync(service, bens);
        await service.CommentAsync(Viewer.Single, adas, "Your classifier is untrained: see the loss.");

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1); // live, so the buttons work
        await Assertions.Expect(page.GetByTestId("submission-row")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByTestId("duplicate-pairs")).ToContainTextAsync("identical weights");
        await page.GetByTestId("release").ClickAsync();
        await Assertions.Expect(page.GetByTestId("release-state")).ToHaveTextAsync("grades released");
        await ScreenshotAsync(page, "assignment-instructor.png");
        if (ScreenshotPath("duplicate-pairs.png") is { } pairs)
            await page.GetByTestId("duplicate-pairs").ScreenshotAsync(new() { Path = pairs });

        var student = await host.NewPageAsync();
        await SignIn.LogInAsync(student, ada.Name!, ClassModeFactory.StudentPassword);
        await student.GotoAsync($"/assignments/{hw.Id}");
        await Assertions.Expect(student.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await Assertions.Expect(student.GetByTestId("submission-row")).ToHaveCountAsync(1);
        await Assertions.Expect(student.GetByTestId("duplicate-pairs")).ToHaveCountAsync(0);
        await student.GetByRole(AriaRole.Link, new() { Name = "SSVAE gw=0" }).ClickAsync();
        await Assertions.Expect(student.GetByTestId("submission-points")).ToHaveTextAsync("Grade: 0 of 10 points");
        await Assertions.Expect(student.GetByTestId("submission-comment")).ToContainTextAsync("Your classifier is untrained");
        await ScreenshotAsync(student, "assignment-student.png");
        await student.GotoAsync($"/submissions/{bens}");
        await Assertions.Expect(student.GetByTestId("unknown-submission")).ToBeVisibleAsync();
    }

    private async Task<Viewer> StudentAsync(string email)
    {
        using var scope = host.App.Services.CreateScope();
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<AccountService>().RegisterAsync(email, ClassModeFactory.StudentPassword, null));
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync(email);
        return new Viewer(user!.Id, user.UserName, IsInstructor: false);
    }

    private static async Task<Guid> SubmitAsync(AssignmentService service, Viewer student, AssignmentState hw, PartState part)
    {
        await using var file = File.OpenRead(ReviewsTests.Fixture("ssvae_legacy.pt"));
        var (submission, error) = await service.SubmitFileAsync(student, hw.Id, part.Id, "ssvae_legacy.pt", file);
        Assert.True(submission is not null, error);
        return submission.Id;
    }

    private static async Task EvaluatedAsync(AssignmentService service, Guid id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        while ((await service.GetSubmissionAsync(Viewer.Single, id, timeout.Token))!.Status is not (ReviewStatus.Done or ReviewStatus.Failed))
            await Task.Delay(200, timeout.Token);
    }

    private static string? ScreenshotPath(string name) =>
        Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder ? Path.Combine(folder, name) : null;

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (ScreenshotPath(name) is { } path)
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
    }
}

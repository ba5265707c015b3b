using Microsoft.Playwright;

namespace WebGen.WebApp.Tests;

/// <summary>
/// Submission review in a real browser (Debian's Chromium through Playwright): an instructor signs in, uploads a
/// student's PyTorch checkpoint and sees the evaluation and the grade.
/// </summary>
public sealed class ReviewBrowserTests : IAsyncLifetime
{
    private readonly BrowserHost<ClassModeFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

    [Fact]
    public async Task AnInstructorUploadsAPyTorchCheckpoint_AndSeesTheEvaluationAndTheGrade()
    {
        // In class mode, as a course runs it: reviews are the instructor's, behind the sign-in form.
        var page = await host.NewPageAsync();
        await page.GotoAsync("/reviews");
        await page.WaitForURLAsync("**/account/login?ReturnUrl=%2Freviews");
        await SignIn.LogInAsync(page, ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);
        await Assertions.Expect(page.GetByTestId("user-name")).ToHaveTextAsync($"{ClassModeFactory.InstructorEmail} (instructor)");
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Link, new() { Name = "Reviews" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("review-submit")).ToBeVisibleAsync();

        await page.Locator("[data-testid=review-student] input, input[data-testid=review-student]").FillAsync("Grace Hopper");
        await page.GetByText("SSVAE", new() { Exact = true }).ClickAsync();
        await page.GetByText("gw = 0 (accuracy 0.735 ± 0.025)").ClickAsync();
        await page.Locator("input[type=file]").ChooseAsync(ReviewsTests.Fixture("ssvae_legacy.pt"));
        await Assertions.Expect(page.GetByTestId("review-chosen")).ToHaveTextAsync("ssvae_legacy.pt (4.0 MB)");
        await page.GetByTestId("review-submit").ClickAsync();

        // The review page: queued or evaluating first, then PyTorch's own accuracy for these weights and the verdict.
        await Assertions.Expect(page.GetByTestId("review-title")).ToHaveTextAsync("Grace Hopper · SSVAE z=64, gw=0", new() { Timeout = 60_000 });
        Assert.Matches("/reviews/[0-9a-f-]{36}$", page.Url);
        await Assertions.Expect(page.GetByTestId("verdict")).ToHaveTextAsync("FAIL", new() { Timeout = 120_000 });
        var accuracy = ReviewsTests.Protocol("ssvae").GetProperty("accuracy").GetDouble();
        await Assertions.Expect(page.GetByTestId("accuracy")).ToHaveTextAsync($"{100 * accuracy:F2} %".Replace(',', '.'));
        await Assertions.Expect(page.GetByTestId("grade")).ToContainTextAsync("the grader accepts 0.735 ± 0.025");
        var grid = page.GetByTestId("review-grid");
        await Assertions.Expect(grid).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => { const img = document.querySelector('[data-testid=review-grid]'); return img && img.complete && img.naturalWidth > 0; }");
        Assert.Equal(560, await grid.EvaluateAsync<int>("img => img.naturalWidth")); // 20 columns of 28 pixels

        await page.Locator("[data-testid=review-comment] textarea, textarea[data-testid=review-comment]").FillAsync("The classifier was never trained.");
        await page.GetByTestId("review-save-comment").ClickAsync();
        await Assertions.Expect(page.GetByTestId("review-comment-saved")).ToBeVisibleAsync();
        if (Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "review.png"), FullPage = true });

        // The list of reviews has it, graded.
        await page.GetByRole(AriaRole.Link, new() { Name = "← all reviews" }).ClickAsync();
        var row = page.GetByTestId("review-list").Locator("tr", new() { HasText = "Grace Hopper" });
        await Assertions.Expect(row).ToContainTextAsync("fail");
        await Assertions.Expect(row).ToContainTextAsync("0.735 ± 0.025");
    }
}

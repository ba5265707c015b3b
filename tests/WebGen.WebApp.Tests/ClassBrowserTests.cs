using Microsoft.Playwright;

namespace WebGen.WebApp.Tests;

/// <summary>Class mode in a real browser: signing in through the form, the instructor's page, signing out.</summary>
public sealed class ClassBrowserTests : IAsyncLifetime
{
    private readonly BrowserHost<ClassModeFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

    [Fact]
    public async Task TheInstructor_SignsInThroughTheForm_CreatesAnInvitationCode_AndSignsOut()
    {
        var page = await host.NewPageAsync();
        await page.GotoAsync("/runs");
        await page.WaitForURLAsync("**/account/login?ReturnUrl=%2Fruns");
        await ScreenshotAsync(page, "login.png");

        await SignIn.LogInAsync(page, ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);
        await Assertions.Expect(page.GetByTestId("user-name")).ToHaveTextAsync($"{ClassModeFactory.InstructorEmail} (instructor)");

        await page.GetByRole(AriaRole.Link, new() { Name = "Class", Exact = true }).ClickAsync();
        // Clicked before the page is live, the prerendered button does nothing.
        await page.WaitForURLAsync("**/class");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await page.GetByTestId("create-invitations").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=invitations] code")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid=invitations] code")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[A-Z2-9]{4}-[A-Z2-9]{4}$"));
        await ScreenshotAsync(page, "class.png");

        await page.GetByTestId("sign-out").ClickAsync();
        await page.WaitForURLAsync("**/account/login");
        await page.GotoAsync("/class");
        await page.WaitForURLAsync("**/account/login?ReturnUrl=%2Fclass");
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), FullPage = true });
    }
}

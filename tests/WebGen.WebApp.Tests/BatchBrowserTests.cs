using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WebGen.WebApp.Accounts;
using WebGen.WebApp.Assignments;

namespace WebGen.WebApp.Tests;

/// <summary>A batch upload in a real browser: the zip chosen on the assignment's page, the preview, and the batch's progress drawn live.</summary>
public sealed class BatchBrowserTests : IAsyncLifetime
{
    private readonly BrowserHost<ClassModeFactory> host = new();

    public Task InitializeAsync() => host.InitializeAsync();

    public Task DisposeAsync() => host.DisposeAsync();

    [Fact]
    public async Task TheInstructor_PreviewsAMoodleZip_Confirms_AndSeesTheCountsChangeWithoutReloading()
    {
        using (var scope = host.App.Services.CreateScope())
            foreach (var email in new[] { "ada.lovelace@class.test", "ben.bitdiddle@class.test", "cy.d.fect@class.test", "dee.bugger@class.test" })
                Assert.Empty(await scope.ServiceProvider.GetRequiredService<AccountService>().RegisterAsync(email, ClassModeFactory.StudentPassword, null));
        var (hw, _) = await host.App.Services.GetRequiredService<AssignmentService>().CreateAsync(
            new AssignmentRequest("Homework 2", DateTime.UtcNow.AddDays(7), [new PartRequest(Shared.ModelKind.Vae)]));
        byte[] Fixture(string name) => File.ReadAllBytes(ReviewsTests.Fixture(name));
        var zip = BatchUploadTests.Zip( // as Moodle exports an assignment: a folder per student
            ("Ada Lovelace_1001_assignsubmission_file_/vae.pt", Fixture("vae_zip.pt")),
            ("Ben Bitdiddle_1002_assignsubmission_file_/vae_final.pt", Fixture("vae_legacy.pt")),
            ("Cy D Fect_1003_assignsubmission_file_/model.pt", Fixture("malicious_zip.pt")),
            ("Dee Bugger_1004_assignsubmission_file_/vae.pt", Fixture("vae_wrong_shape.pt")),
            ("Zed Unknown_1005_assignsubmission_file_/vae.pt", Fixture("vae_zip.pt")),
            ("../outside.pt", Fixture("vae_zip.pt")));

        var page = await host.NewPageAsync();
        await SignIn.LogInAsync(page, ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);
        await page.GotoAsync($"/assignments/{hw!.Id}");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
        await page.GetByTestId("batch-upload").Locator("input[type=file]").ChooseAsync(new FilePayload { Name = "HW2-submissions.zip", MimeType = "application/zip", Buffer = zip });
        await page.GetByTestId("batch-preview").ClickAsync();
        await page.WaitForURLAsync("**/batches/*");

        await Assertions.Expect(page.GetByTestId("batch-entry")).ToHaveCountAsync(4);
        await Assertions.Expect(page.GetByTestId("batch-matched")).ToContainTextAsync("ada.lovelace@class.test");
        await Assertions.Expect(page.GetByTestId("batch-problem")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByTestId("batch-problems")).ToContainTextAsync("\"Zed Unknown\" is no student of the class");
        await Assertions.Expect(page.GetByTestId("batch-problems")).ToContainTextAsync("unsafe name");
        await ScreenshotAsync(page, "batch-preview.png");

        await page.GetByTestId("batch-confirm").ClickAsync();
        var patience = new LocatorAssertionsToHaveTextOptions { Timeout = 300_000 };
        await Assertions.Expect(page.GetByTestId("batch-evaluated")).ToHaveTextAsync("2 evaluated", patience);
        await Assertions.Expect(page.GetByTestId("batch-pending")).ToHaveTextAsync("0 pending", patience);
        await Assertions.Expect(page.GetByTestId("batch-refused-count")).ToHaveTextAsync("4 refused");
        await Assertions.Expect(page.GetByTestId("batch-problems")).ToContainTextAsync("posix.system");
        await Assertions.Expect(page.GetByTestId("batch-problems")).ToContainTextAsync("does not fit a VAE");
        await ScreenshotAsync(page, "batch-done.png");
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("WEBGEN_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), FullPage = true });
    }
}

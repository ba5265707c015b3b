using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;

namespace WebGen.WebApp.Tests;

/// <summary>One signed-in user of a class-mode app: an HTTP client with its own cookie, and hub connections that send it.</summary>
public sealed class Session(WebGenFactory app, HttpClient client, CookieContainer cookies, string email) : IDisposable
{
    public HttpClient Client => client;
    public CookieContainer Cookies => cookies;
    public string Email => email;

    public HubConnection RunsHub() => app.RunsHub(cookies);

    public void Dispose() => client.Dispose();
}

/// <summary>"Log in as X" for tests: through the real forms, over HTTP or in a Playwright page.</summary>
public static partial class SignIn
{
    /// <summary>Signs in through the login form (antiforgery token and all) and returns the session.</summary>
    public static async Task<Session> AsAsync(this WebGenFactory app, string email, string password)
    {
        var (client, cookies) = app.ClientWithCookies();
        var page = await PostFormAsync(client, "/account/login", "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });
        if (!cookies.GetAllCookies().Any(c => c.Name == ".AspNetCore.Identity.Application"))
            throw new InvalidOperationException($"Signing in as {email} failed: {Regex.Match(page, "data-testid=\"login-error\".*?mud-alert-message[^>]*>([^<]*)", RegexOptions.Singleline).Groups[1].Value}");
        return new Session(app, client, cookies, email);
    }

    public static Task<Session> AsInstructorAsync(this WebGenFactory app) =>
        app.AsAsync(ClassModeFactory.InstructorEmail, ClassModeFactory.InstructorPassword);

    /// <summary>Registers through the form, then signs in through the login form. Null, and the page, when it refused.</summary>
    public static async Task<(Session? Session, string Page)> RegisterAsync(this WebGenFactory app, string email, string password, string? code = null)
    {
        var (client, cookies) = app.ClientWithCookies();
        var fields = new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password };
        if (code is not null)
            fields["Input.Code"] = code;
        var page = await PostFormAsync(client, "/account/register", "register", fields);
        // Registration does not sign in (that would tell a new e-mail from one with an account): sign in as a student does.
        if (page.Contains("data-testid=\"registered\""))
            page = await PostFormAsync(client, "/account/login", "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });
        var signedIn = cookies.GetAllCookies().Any(c => c.Name == ".AspNetCore.Identity.Application");
        if (!signedIn)
            client.Dispose();
        return (signedIn ? new Session(app, client, cookies, email) : null, page);
    }

    /// <summary>A new student registered (open registration, or with <paramref name="code"/>) and signed in.</summary>
    public static async Task<Session> NewStudentAsync(this WebGenFactory app, string email, string? code = null) =>
        (await app.RegisterAsync(email, ClassModeFactory.StudentPassword, code)).Session
            ?? throw new InvalidOperationException($"Registering {email} failed.");

    /// <summary>Posts a static-rendered Blazor form as a browser would: the page's antiforgery token and the form's name.</summary>
    public static async Task<string> PostFormAsync(HttpClient client, string path, string formName, Dictionary<string, string> fields)
    {
        var form = await client.GetStringAsync(path);
        var token = AntiforgeryToken().Match(form);
        if (!token.Success)
            throw new InvalidOperationException($"{path} has no antiforgery token: {form}");
        var response = await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>(fields)
        {
            ["_handler"] = formName,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }));
        return await response.Content.ReadAsStringAsync();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    /// <summary>Signs a browser page in through the login form, as a person would, and waits for the live app bar.</summary>
    public static async Task LogInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/account/login");
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("sign-in").ClickAsync();
        await Assertions.Expect(page.GetByTestId("user-name")).ToContainTextAsync(email);
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToHaveCountAsync(1);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;

namespace WebGen.Tools.LoadBench;

/// <summary>One account of the class: an HTTP client with its sign-in cookie, and hub connections that send it.</summary>
public sealed partial class Student(Uri server, HttpClient client, CookieContainer cookies, string email) : IDisposable
{
    public const string Password = "Bench-Student-1";

    public string Email => email;

    public HttpClient Client => client;

    /// <summary>Registers through the form (open registration), then signs in as a new student would.</summary>
    public static async Task<Student> RegisterAsync(Uri server, string email, CancellationToken cancellationToken)
    {
        var cookies = new CookieContainer();
        using (var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = server })
            await PostFormAsync(client, "/account/register", "register", email, Password, cancellationToken);
        return await SignInAsync(server, email, Password, cancellationToken);
    }

    /// <summary>Signs in through the login form; the client keeps the sign-in cookie.</summary>
    public static async Task<Student> SignInAsync(Uri server, string email, string password, CancellationToken cancellationToken)
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = server };
        var status = await PostFormAsync(client, "/account/login", "login", email, password, cancellationToken);
        if (!cookies.GetAllCookies().Any(c => c.Name == ".AspNetCore.Identity.Application"))
        {
            client.Dispose();
            throw new InvalidOperationException($"{email} could not sign in ({status})");
        }
        return new Student(server, client, cookies, email);
    }

    /// <summary>Posts a static-rendered Blazor form as a browser does: the page's antiforgery token and the form's name.</summary>
    private static async Task<int> PostFormAsync(
        HttpClient client, string path, string form, string email, string password, CancellationToken cancellationToken)
    {
        var page = await client.GetStringAsync(path, cancellationToken);
        var token = AntiforgeryToken().Match(page);
        if (!token.Success)
            throw new InvalidOperationException($"{path} has no antiforgery token");
        using var response = await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["_handler"] = form,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }), cancellationToken);
        return (int)response.StatusCode;
    }

    /// <summary>Queues a run through the JSON API; returns its id.</summary>
    public async Task<Guid> QueueAsync(JsonObject options, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/api/runs", options, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{email} could not queue a run: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)![0]!["id"]!.GetValue<Guid>();
    }

    public async Task<JsonObject> RunAsync(Guid id, CancellationToken cancellationToken) =>
        (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{id}", cancellationToken))!;

    public async Task<JsonArray> HistoryAsync(Guid id, CancellationToken cancellationToken) =>
        (await client.GetFromJsonAsync<JsonArray>($"/api/runs/{id}/history", cancellationToken))!;

    public HubConnection Hub() => new HubConnectionBuilder()
        .WithUrl(new Uri(server, "/hubs/runs"), o => o.Cookies = cookies)
        .Build();

    public void Dispose() => client.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}

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

    /// <summary>Registers through the form (open registration signs the new student in).</summary>
    public static Task<Student> RegisterAsync(Uri server, string email, CancellationToken cancellationToken) =>
        SignInAsync(server, email, Password, "/account/register", "register", cancellationToken);

    public static Task<Student> InstructorAsync(Uri server, CancellationToken cancellationToken) =>
        SignInAsync(server, Server.InstructorEmail, Server.InstructorPassword, "/account/login", "login", cancellationToken);

    private static async Task<Student> SignInAsync(
        Uri server, string email, string password, string path, string form, CancellationToken cancellationToken)
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = server };
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
        if (!cookies.GetAllCookies().Any(c => c.Name == ".AspNetCore.Identity.Application"))
        {
            client.Dispose();
            throw new InvalidOperationException($"{email} could not sign in through {path} ({(int)response.StatusCode})");
        }
        return new Student(server, client, cookies, email);
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

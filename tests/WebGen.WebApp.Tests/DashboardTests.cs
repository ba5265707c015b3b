using System.Net;

namespace WebGen.WebApp.Tests;

/// <summary>The job system's dashboard (<c>/hangfire</c>) in class mode: the instructor's, nobody else's.</summary>
public sealed class DashboardTests(ClassModeFactory app) : IClassFixture<ClassModeFactory>
{
    private const string DashboardMarker = "Hangfire Dashboard";

    [Fact]
    public async Task TheInstructor_SeesTheDashboard()
    {
        using var instructor = await app.AsInstructorAsync();
        var response = await instructor.Client.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(DashboardMarker, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/hangfire")]
    [InlineData("/hangfire/jobs/enqueued")]
    [InlineData("/hangfire/stats")]
    public async Task AStudent_IsRefusedEveryDashboardPage(string path)
    {
        using var student = await app.NewStudentAsync($"dash{Guid.NewGuid():N}@webgen.test");
        var response = await student.Client.GetAsync(path); // a POST (stats) or a GET: the endpoint's policy refuses both
        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound
            || response.RequestMessage!.RequestUri!.AbsolutePath != path, $"{path}: {(int)response.StatusCode} at {response.RequestMessage!.RequestUri}");
        Assert.DoesNotContain(DashboardMarker, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnAnonymousVisitor_IsRefusedTheDashboard()
    {
        var (client, _) = app.ClientWithCookies();
        using var _client = client;
        var response = await client.GetAsync("/hangfire");
        Assert.NotEqual("/hangfire", response.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.DoesNotContain(DashboardMarker, await response.Content.ReadAsStringAsync());
    }
}

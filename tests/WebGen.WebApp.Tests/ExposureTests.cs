using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace WebGen.WebApp.Tests;

/// <summary>Single mode has no login: it listens on the machine itself, and the container stack runs in class mode.</summary>
public sealed partial class ExposureTests
{
    private static string Read(string file) => File.ReadAllText(Path.Combine(WebGenFactory.RepositoryRoot(), file));

    [Fact]
    public void WebgenServe_ListensOnLoopbackOnlyByDefault()
    {
        var url = DefaultServeUrl().Match(Read("webgen"));
        Assert.True(url.Success, "./webgen serve names no default URL");
        Assert.Equal("127.0.0.1", new Uri(url.Groups[1].Value).Host);
    }

    [Fact]
    public void WebgenServe_OnItsDefaultAddress_AnswersOnlyRequestsNamingThisMachine()
    {
        // A page whose domain is made to resolve to 127.0.0.1 (DNS rebinding) sends that domain as Host.
        var allowed = AllowedHosts().Match(Read("webgen"));
        Assert.True(allowed.Success, "./webgen serve allows any Host on its default address");
        Assert.Equal(["localhost", "127.0.0.1"], allowed.Groups[1].Value.Split(';'));
    }

    [Fact]
    public void TheContainerStack_RunsInClassMode_WithTheInstructorFromTheEnvironment()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Read("compose.yaml")));
        // The settings every WebGen service of the stack (migrate, web, worker) merges in.
        var environment = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["x-settings"];
        string Setting(string key) => ((YamlScalarNode)environment[key]).Value!;
        Assert.Equal("class", Setting("WebGen__Mode"));
        Assert.Matches(@"^\$\{WEBGEN_INSTRUCTOR_EMAIL:\?", Setting("WebGen__Class__InstructorEmail"));
        Assert.Matches(@"^\$\{WEBGEN_INSTRUCTOR_PASSWORD", Setting("WebGen__Class__InstructorPassword"));
        // The image alone, started without compose, is in class mode too: without an instructor it refuses to start.
        Assert.Contains("WebGen__Mode=class", Read("Dockerfile"));
    }

    [GeneratedRegex(@"--AllowedHosts ""([^""]+)""")]
    private static partial Regex AllowedHosts();

    [GeneratedRegex(@"WEBGEN_URLS:-([^}]+)\}")]
    private static partial Regex DefaultServeUrl();
}

using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace WebGen.WebApp.Tests;

/// <summary>
/// Docker cannot run here: the stack's files are checked by Compose's own validation (Debian's docker-compose),
/// HAProxy's (haproxy -c), and for the structure a deployment relies on.
/// </summary>
public sealed class DeploymentTests
{
    private static readonly string Root = WebGenFactory.RepositoryRoot();

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node)[key];

    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node)[key]).Value!;

    /// <summary>compose.yaml as Compose resolves it (anchors merged, variables set), parsed.</summary>
    private static YamlNode Resolved()
    {
        var (code, output) = Run("docker-compose", ["-f", "compose.yaml", "config"]);
        Assert.True(code == 0, $"docker-compose config refused compose.yaml: {output}");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(output));
        return yaml.Documents[0].RootNode;
    }

    [Fact]
    public void Compose_IsAValidStackOfPostgresRedisMigrateWebWorkerAndProxy()
    {
        var services = Map(Resolved(), "services");

        Assert.Equal(new[] { "migrate", "postgres", "proxy", "redis", "web", "worker" }, services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order());
    }

    [Fact]
    public void Compose_WithoutTheInstructorOrTheDatabasePassword_IsRefusedNamingTheMissingSetting()
    {
        var (code, output) = Run("docker-compose", ["-f", "compose.yaml", "config", "-q"], withSecrets: false);

        Assert.True(code != 0 && (output.Contains("WEBGEN_INSTRUCTOR_EMAIL") || output.Contains("WEBGEN_DB_PASSWORD")), output);
    }

    [Fact]
    public void Compose_TheWorkerReservesAGpu_TheWebFrontEndsDoNot()
    {
        var services = Map(Resolved(), "services");

        var device = (YamlMappingNode)((YamlSequenceNode)Map(Map(Map(Map(services, "worker"), "deploy"), "resources"), "reservations")["devices"])[0];
        Assert.Equal(("nvidia", "gpu"), (Scalar(device, "driver"), ((YamlScalarNode)((YamlSequenceNode)device["capabilities"])[0]).Value));
        Assert.False(Map(services, "web").Children.ContainsKey("deploy"));
    }

    [Fact]
    public void Compose_WebAndWorkerStartAfterTheOneShotMigrationOnOneDatabaseAndOneRedis()
    {
        var services = Map(Resolved(), "services");

        Assert.Equal("true", Scalar(Map(Map(services, "migrate"), "environment"), "WebGen__MigrateOnly"));
        foreach (var role in new[] { "web", "worker" })
        {
            var service = Map(services, role);
            Assert.Equal("service_completed_successfully", Scalar(Map(Map(service, "depends_on"), "migrate"), "condition"));
            var environment = Map(service, "environment");
            Assert.Equal(("postgres", role), (Scalar(environment, "WebGen__Database"), Scalar(environment, "WebGen__Roles")));
            Assert.StartsWith("redis:", Scalar(environment, "ConnectionStrings__Redis"));
            Assert.Contains("/healthz", string.Join(" ", ((YamlSequenceNode)Map(service, "healthcheck")["test"]).Select(t => ((YamlScalarNode)t).Value)));
        }
    }

    [Fact]
    public void TheProxy_PublishesTheOnePortAndPinsEachBrowserToOneFrontEndWithACookie()
    {
        var proxy = Map(Map(Resolved(), "services"), "proxy");
        var (code, output) = Run("haproxy", ["-c", "-f", "deploy/haproxy.cfg"]);

        Assert.True(code == 0, $"haproxy -c refused deploy/haproxy.cfg: {output}");
        Assert.Matches(@"(?m)^\s*cookie \S+ insert", File.ReadAllText(Path.Combine(Root, "deploy", "haproxy.cfg")));
        var port = (YamlMappingNode)((YamlSequenceNode)proxy["ports"]).Single();
        Assert.Equal(("8080", "8080"), (Scalar(port, "published"), Scalar(port, "target")));
    }

    [Fact]
    public void TheImage_KeepsDataRunsAndDatabaseUnderItsVolumeAndServesOnTheProxiedPort()
    {
        var volume = ((YamlSequenceNode)Map(Map(Resolved(), "services"), "worker")["volumes"]).Select(v => ((YamlScalarNode)v).Value!).Single();
        var target = volume.Split(':')[1];

        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        foreach (var setting in new[] { "WebGen__DataFolder", "WebGen__RunsFolder", "ConnectionStrings__Runs" })
            Assert.Matches($@"{setting}=""?[^\n]*{target}", dockerfile);
        Assert.Contains("ASPNETCORE_URLS=http://+:8080", dockerfile);
        Assert.Contains("-p:TorchBackend=${TORCH_BACKEND}", dockerfile);
    }

    private static (int Code, string Output) Run(string program, string[] arguments, bool withSecrets = true)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment.Remove("WEBGEN_INSTRUCTOR_EMAIL");
        start.Environment.Remove("WEBGEN_DB_PASSWORD");
        if (withSecrets)
            (start.Environment["WEBGEN_INSTRUCTOR_EMAIL"], start.Environment["WEBGEN_DB_PASSWORD"]) = ("teacher@school.test", "a-password");
        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"{program} did not start: ./webgen test installs it");
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + errors.Result);
    }
}

using YamlDotNet.RepresentationModel;

namespace WebGen.WebApp.Tests;

/// <summary>Docker is not available here: the stack's files are checked for the structure a deployment relies on.</summary>
public sealed class DeploymentTests
{
    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node)[key];

    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node)[key]).Value!;

    [Fact]
    public void Compose_ReservesAGpuMountsAVolumeAndChecksHealth()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(WebGenFactory.RepositoryRoot(), "compose.yaml"))));
        var root = yaml.Documents[0].RootNode;
        var app = Map(Map(root, "services"), "webapp");

        Assert.Equal("Dockerfile", Scalar(Map(app, "build"), "dockerfile"));
        var device = (YamlMappingNode)((YamlSequenceNode)Map(Map(Map(app, "deploy"), "resources"), "reservations")["devices"])[0];
        Assert.Equal("nvidia", Scalar(device, "driver"));
        Assert.Contains("gpu", ((YamlSequenceNode)device["capabilities"]).Select(c => ((YamlScalarNode)c).Value));

        var volume = ((YamlSequenceNode)app["volumes"]).Select(v => ((YamlScalarNode)v).Value!).Single();
        var (name, target) = (volume.Split(':')[0], volume.Split(':')[1]);
        Assert.True(Map(root, "volumes").Children.ContainsKey(name), $"volume {name} is not declared");

        var health = string.Join(" ", ((YamlSequenceNode)Map(app, "healthcheck")["test"]).Select(t => ((YamlScalarNode)t).Value));
        Assert.Contains("/healthz", health);
        Assert.Contains("8080:8080", ((YamlSequenceNode)app["ports"]).Select(p => ((YamlScalarNode)p).Value));

        // The Dockerfile keeps data, runs and the database under the volume's mount point, and serves on the mapped port.
        var dockerfile = File.ReadAllText(Path.Combine(WebGenFactory.RepositoryRoot(), "Dockerfile"));
        foreach (var setting in new[] { "WebGen__DataFolder", "WebGen__RunsFolder", "ConnectionStrings__Runs" })
            Assert.Matches($@"{setting}=""?[^\n]*{target}", dockerfile);
        Assert.Contains("ASPNETCORE_URLS=http://+:8080", dockerfile);
        Assert.Contains("HEALTHCHECK", dockerfile);
        Assert.Contains("-p:TorchBackend=${TORCH_BACKEND}", dockerfile);
    }
}

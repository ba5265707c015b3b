using System.Text.RegularExpressions;

namespace WebGen.WebApp.Tests;

/// <summary>
/// The web app's feature folders depend on one another in one direction only: a folder that names another's
/// namespace (a using or a full name) depends on it, and no chain of such names leads back to where it started.
/// </summary>
public sealed partial class FolderDependencyTests
{
    /// <summary>The folders below the pages: the pages (Components/) and the start-up (the root) may use them all.</summary>
    private static readonly string[] Folders = ["Accounts", "Data", "Reviews", "Runs", "Security", "Styles"];

    [GeneratedRegex(@"\bWebGen\.WebApp\.(\w+)")]
    private static partial Regex NamespaceReference();

    private static Dictionary<string, HashSet<string>> Dependencies()
    {
        var root = Path.Combine(WebGenFactory.RepositoryRoot(), "WebApp");
        return Folders.ToDictionary(folder => folder, folder =>
            Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories)
                .SelectMany(file => NamespaceReference().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value))
                .Where(used => used != folder && Folders.Contains(used))
                .ToHashSet());
    }

    [Fact]
    public void FeatureFolders_HaveNoDependencyCycle()
    {
        var dependencies = Dependencies();
        var cycles = new List<string>();
        void Walk(string folder, List<string> path)
        {
            if (path.Contains(folder))
            {
                cycles.Add(string.Join(" → ", path.SkipWhile(f => f != folder).Append(folder)));
                return;
            }
            foreach (var next in dependencies[folder])
                Walk(next, [.. path, folder]);
        }
        foreach (var folder in Folders)
            Walk(folder, []);
        Assert.Empty(cycles.Distinct());
    }

    [Fact]
    public void SecurityAndData_DependOnNoFeature()
    {
        var dependencies = Dependencies();
        Assert.Empty(dependencies["Security"]);
        Assert.Empty(dependencies["Data"]);
    }
}

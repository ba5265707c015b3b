namespace WebGen.WebApp;

/// <summary>The app's settings, bound from the "WebGen" configuration section (appsettings, environment, flags).</summary>
public sealed class WebGenOptions
{
    public const string Section = "WebGen";

    /// <summary>The data folder holding mnist/ (and later svhn/); <c>./webgen serve</c> passes the set-up's folder.</summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>Where runs write their checkpoints and grids, one folder per run.</summary>
    public string RunsFolder { get; set; } = "../runs";

    /// <summary>Relative folders are relative to the app's content root, whatever the working directory.</summary>
    public void ResolveAgainst(string contentRoot)
    {
        DataFolder = Path.GetFullPath(DataFolder, contentRoot);
        RunsFolder = Path.GetFullPath(RunsFolder, contentRoot);
    }

    /// <summary>Static files served beside the framework's (defaults to the repository's wwwroot-assets/).</summary>
    public string? AssetsFolder { get; set; }
}

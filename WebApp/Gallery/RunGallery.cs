using System.Globalization;
using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Gallery;

/// <summary>
/// Every preview grid a run makes, kept as previews/step-000001500.png in its run folder (so they count against the
/// owner's disk quota), at most <see cref="GalleryOptions.MaxKept"/> of them, evenly spaced (<see cref="GallerySpacing"/>).
/// One run is written by its one training thread; pages and the API read while it writes.
/// </summary>
public sealed class RunGallery(IOptions<WebGenOptions> settings, IOptions<GalleryOptions> options, ILogger<RunGallery> logger)
{
    public const string FolderName = "previews";
    private const string Prefix = "step-";

    /// <summary>Stores the grid of <paramref name="step"/>, then lets go of grids until at most the kept number remain.</summary>
    public void Add(Guid runId, int step, byte[] png)
    {
        var folder = Folder(runId);
        Directory.CreateDirectory(folder);
        var path = PathOf(folder, step);
        File.WriteAllBytes(path + ".partial", png);
        File.Move(path + ".partial", path, overwrite: true); // a browser never reads half a PNG
        foreach (var dropped in GallerySpacing.ToDrop(Steps(runId), Math.Max(2, options.Value.MaxKept)))
        {
            try
            {
                File.Delete(PathOf(folder, dropped));
            }
            catch (IOException e)
            {
                logger.LogWarning(e, "Run {Id}: the preview of step {Step} was not deleted", runId, dropped); // the next add tries again
            }
        }
    }

    /// <summary>The steps whose grids are kept, ascending (empty before the first preview).</summary>
    public IReadOnlyList<int> Steps(Guid runId)
    {
        var folder = Folder(runId);
        if (!Directory.Exists(folder))
            return [];
        return [.. Directory.EnumerateFiles(folder, Prefix + "*.png")
            .Select(f => int.TryParse(Path.GetFileNameWithoutExtension(f)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1)
            .Where(s => s >= 0)
            .Order()];
    }

    /// <summary>The file of the grid kept for <paramref name="step"/>, or null when that step has none.</summary>
    public string? FileOf(Guid runId, int step) => PathOf(Folder(runId), step) is var path && File.Exists(path) ? path : null;

    /// <summary>The newest grid's file, or null before the first preview.</summary>
    public string? Newest(Guid runId) => Steps(runId) is [.., var last] ? FileOf(runId, last) : null;

    private string Folder(Guid runId) => Path.Combine(settings.Value.RunFolder(runId), FolderName);

    private static string PathOf(string folder, int step) => Path.Combine(folder, $"{Prefix}{step.ToString("D9", CultureInfo.InvariantCulture)}.png");
}

namespace WebGen.WebApp.Gallery;

/// <summary>Where the pages find a run's kept grids (the routes of <see cref="GalleryApi"/>).</summary>
public static class GalleryLinks
{
    public static string Grid(Guid runId, int step) => $"/api/runs/{runId}/previews/{step}.png";
}

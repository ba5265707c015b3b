namespace WebGen.WebApp.Gallery;

/// <summary>How many preview grids a run keeps (section "WebGen:Gallery").</summary>
public sealed class GalleryOptions
{
    public const string Section = "WebGen:Gallery";

    /// <summary>
    /// The most preview grids kept per run (a 10 × 20 MNIST grid is about 60 kB, so 100 are a few megabytes, counted
    /// against the student's disk quota with the rest of the run folder). A longer run keeps that many, evenly spaced.
    /// </summary>
    public int MaxKept { get; set; } = 100;

    /// <summary>How many animations are encoded at once; more requests wait (each holds every frame in memory).</summary>
    public int ConcurrentAnimations { get; set; } = 2;
}

namespace WebGen.WebApp.Gallery;

/// <summary>Which kept steps to let go so that at most a number stay, spread evenly over the training so far.</summary>
public static class GallerySpacing
{
    /// <summary>
    /// The steps to drop from <paramref name="kept"/> (ascending) so that <paramref name="max"/> remain: each time the
    /// inner step whose neighbours are closest together, so the first and the newest always stay and the gaps even out.
    /// A 10-million-step run previewed every 500 steps thus keeps <paramref name="max"/> grids about 100,000 steps apart.
    /// </summary>
    public static IReadOnlyList<int> ToDrop(IReadOnlyList<int> kept, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        var steps = kept.ToList();
        var dropped = new List<int>();
        while (steps.Count > max)
        {
            var closest = Enumerable.Range(1, steps.Count - 2).MinBy(i => steps[i + 1] - steps[i - 1]);
            dropped.Add(steps[closest]);
            steps.RemoveAt(closest);
        }
        return dropped;
    }

    /// <summary>The kept step nearest to <paramref name="step"/> (the earlier of two as near); null when none is kept.</summary>
    public static int? Nearest(IReadOnlyList<int> kept, int step) =>
        kept.Count == 0 ? null : kept.MinBy(s => (Math.Abs((long)s - step), s));
}

using WebGen.Compute.Models;
using static TorchSharp.torch;

namespace WebGen.Compute.Styles;

/// <summary>
/// The directions the style explorer's sliders move z along: z = origin + Σₖ cₖ·scaleₖ·directionₖ, so a slider at
/// cₖ = ±2 sits two standard deviations of that direction away from the origin. Either z's own dimensions, or the top
/// principal directions of encoded styles when z has too many dimensions for a slider each (the SSVAE's 64).
/// </summary>
public sealed class StyleAxes
{
    private readonly float[][] directions;
    private readonly float[] scales;

    private StyleAxes(float[] origin, float[][] directions, float[] scales, string[] names, string description)
    {
        (Origin, this.directions, this.scales, Names, Description) = (origin, directions, scales, names, description);
    }

    /// <summary>Where the sliders' zero is: z = 0 for dimensions, the mean style for principal directions.</summary>
    public float[] Origin { get; }

    /// <summary>One label per slider, e.g. "z₃" or "direction 2 · 9 % of the variance".</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>One sentence for the page: what the sliders are.</summary>
    public string Description { get; }

    public int Count => directions.Length;

    /// <summary>The first <paramref name="count"/> dimensions of z, each its own slider in units of the prior's σ = 1.</summary>
    public static StyleAxes Dimensions(int zDim, int count)
    {
        count = Math.Min(count, zDim);
        var axes = Enumerable.Range(0, count).Select(k =>
        {
            var unit = new float[zDim];
            unit[k] = 1;
            return unit;
        }).ToArray();
        var description = count == zDim
            ? $"All {zDim} dimensions of z."
            : $"Dimensions 1–{count} of z's {zDim}; \"random style\" draws all {zDim} from N(0, I).";
        return new StyleAxes(new float[zDim], axes, [.. Enumerable.Repeat(1f, count)],
            [.. Enumerable.Range(1, count).Select(k => $"z{k}")], description);
    }

    /// <summary>
    /// The top <paramref name="count"/> principal directions of <paramref name="styles"/> (n, z_dim), each scaled by its
    /// standard deviation, around their mean.
    /// </summary>
    public static StyleAxes Principal(Tensor styles, int count, string source)
    {
        if (styles.dim() != 2 || styles.shape[0] < 2)
            throw new ArgumentException($"need at least two styles as rows of an (n, z_dim) matrix; got ({string.Join(", ", styles.shape)}).", nameof(styles));
        using var scope = NewDisposeScope();
        var zDim = (int)styles.shape[1];
        count = Math.Min(count, zDim);
        var data = styles.to(ScalarType.Float64).cpu();
        var mean = data.mean([0]);
        var centred = data - mean;
        var covariance = centred.T.matmul(centred).Over(data.shape[0] - 1);
        var (values, vectors) = linalg.eigh(covariance); // ascending eigenvalues, orthonormal eigenvector columns
        var total = values.sum().item<double>();
        var order = Enumerable.Range(0, count).Select(k => zDim - 1 - k).ToArray();
        var variances = order.Select(i => Math.Max(values[i].item<double>(), 0)).ToArray();
        var axes = order.Select(i => vectors[TensorIndex.Colon, i].to(ScalarType.Float32).data<float>().ToArray()).ToArray();
        var names = variances.Select((v, k) => $"direction {k + 1} · {Percent(v / total)} of the variance").ToArray();
        var explained = variances.Sum() / total;
        return new StyleAxes(mean.to(ScalarType.Float32).data<float>().ToArray(), axes,
            [.. variances.Select(v => (float)Math.Sqrt(v))], names,
            $"The top {count} principal directions of z's {zDim} dimensions ({Percent(explained)} of the variance of {source}), in standard deviations from the mean style; \"random style\" draws all {zDim} from N(0, I).");
    }

    private static string Percent(double share) => share < 0.01 ? "< 1 %" : $"{100 * share:F0} %";

    /// <summary>Where z sits on each slider.</summary>
    public double[] Coordinates(ReadOnlySpan<float> z)
    {
        var result = new double[Count];
        for (var k = 0; k < Count; k++)
        {
            double dot = 0;
            for (var i = 0; i < z.Length; i++)
                dot += (z[i] - Origin[i]) * directions[k][i];
            result[k] = scales[k] > 0 ? dot / scales[k] : 0;
        }
        return result;
    }

    /// <summary>z with slider <paramref name="axis"/> moved to <paramref name="coordinate"/>; the rest of z stays as it was.</summary>
    public float[] Move(ReadOnlySpan<float> z, int axis, double coordinate)
    {
        var shift = (coordinate - Coordinates(z)[axis]) * scales[axis];
        var moved = z.ToArray();
        for (var i = 0; i < moved.Length; i++)
            moved[i] += (float)(shift * directions[axis][i]);
        return moved;
    }
}

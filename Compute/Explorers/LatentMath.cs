using WebGen.Compute.Models;
using static TorchSharp.torch;

namespace WebGen.Compute.Explorers;

/// <summary>A linear map to a few coordinates: coordinates = (z − mean)·directionsᵀ, and back.</summary>
/// <param name="Mean">(z_dim)</param>
/// <param name="Directions">(components, z_dim), orthonormal rows, the first with the most variance</param>
/// <param name="Deviations">(components): the standard deviation of the data along each direction</param>
/// <param name="Explained">the share of the data's variance the directions keep, in [0, 1]</param>
public sealed record Projection(float[] Mean, float[][] Directions, float[] Deviations, double Explained)
{
    /// <summary>z at <paramref name="coordinates"/> (components): mean + Σₖ cₖ·directionₖ, (z_dim).</summary>
    public float[] Lift(ReadOnlySpan<double> coordinates)
    {
        var z = (float[])Mean.Clone();
        for (var k = 0; k < Directions.Length; k++)
            for (var i = 0; i < z.Length; i++)
                z[i] += (float)(coordinates[k] * Directions[k][i]);
        return z;
    }
}

/// <summary>
/// The latent-space arithmetic of the explorers, small functions like the homework's <c>utils.py</c>. Vectors are
/// float arrays (one z of z_dim values); batches are tensors whose shapes each summary gives.
/// </summary>
public static class LatentMath
{
    /// <summary>
    /// <paramref name="steps"/> points from a to b, both ends included: a + t·(b − a), t = 0, 1/(steps−1), …, 1.
    /// a, b: (z_dim) → (steps, z_dim).
    /// </summary>
    public static float[][] Lerp(float[] a, float[] b, int steps)
    {
        CheckPath(a, b, steps);
        return [.. Enumerable.Range(0, steps).Select(s =>
        {
            var t = (double)s / (steps - 1);
            return a.Select((ai, i) => (float)(ai + t * (b[i] - ai))).ToArray();
        })];
    }

    /// <summary>
    /// Spherical interpolation, the path that keeps a Gaussian sample's norm: sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b,
    /// Ω the angle between a and b; the straight line where a and b are (anti)parallel or zero and Ω is undefined.
    /// a, b: (z_dim) → (steps, z_dim).
    /// </summary>
    public static float[][] Slerp(float[] a, float[] b, int steps)
    {
        CheckPath(a, b, steps);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
            (dot, na, nb) = (dot + (double)a[i] * b[i], na + (double)a[i] * a[i], nb + (double)b[i] * b[i]);
        var cos = na > 0 && nb > 0 ? Math.Clamp(dot / Math.Sqrt(na * nb), -1, 1) : 1;
        var omega = Math.Acos(cos);
        var sin = Math.Sin(omega);
        if (sin < 1e-6)
            return Lerp(a, b, steps);
        return [.. Enumerable.Range(0, steps).Select(s =>
        {
            var t = (double)s / (steps - 1);
            var (wa, wb) = (Math.Sin((1 - t) * omega) / sin, Math.Sin(t * omega) / sin);
            return a.Select((ai, i) => (float)(wa * ai + wb * b[i])).ToArray();
        })];
    }

    /// <summary>
    /// origin + c·scale·direction for c = −3, …, +3 in <paramref name="steps"/> equal steps: one row of a traversal.
    /// origin, direction: (z_dim) → (steps, z_dim).
    /// </summary>
    public static float[][] Sweep(float[] origin, float[] direction, double scale, int steps, double reach = 3)
    {
        CheckPath(origin, direction, steps);
        return [.. Enumerable.Range(0, steps).Select(s =>
        {
            var c = -reach + 2 * reach * s / (steps - 1);
            return origin.Select((oi, i) => (float)(oi + c * scale * direction[i])).ToArray();
        })];
    }

    /// <summary>
    /// The top <paramref name="components"/> principal directions of <paramref name="points"/> (n, z_dim), from the
    /// singular value decomposition of the centred points (torch.linalg.svd): points ≈ mean + U·S·Vᵀ, directions = rows
    /// of Vᵀ, deviations = S/√(n−1).
    /// </summary>
    public static Projection Pca(Tensor points, int components)
    {
        if (points.dim() != 2 || points.shape[0] < 2)
            throw new ArgumentException($"need at least two points as rows of an (n, z_dim) matrix; got ({string.Join(", ", points.shape)}).", nameof(points));
        using var scope = NewDisposeScope();
        var data = points.to(ScalarType.Float64).cpu();
        var mean = data.mean([0]);
        var centred = data - mean;
        var (_, singular, vh) = linalg.svd(centred, fullMatrices: false);
        components = (int)Math.Min(components, singular.shape[0]);
        var values = singular.data<double>().ToArray();
        var variances = values.Select(s => s * s).ToArray();
        var total = variances.Sum();
        var directions = Enumerable.Range(0, components)
            .Select(k => vh[k].to(ScalarType.Float32).data<float>().ToArray()).ToArray();
        var deviations = values.Take(components).Select(s => (float)(s / Math.Sqrt(data.shape[0] - 1))).ToArray();
        return new Projection(mean.to(ScalarType.Float32).data<float>().ToArray(), directions, deviations,
            total > 0 ? variances.Take(components).Sum() / total : 1);
    }

    /// <summary>
    /// Each point's coordinates along the projection's directions: (points − mean)·directionsᵀ.
    /// points: (n, z_dim) → (n, components) as rows of floats.
    /// </summary>
    public static float[][] Project(Tensor points, Projection projection)
    {
        using var scope = NewDisposeScope();
        var data = points.to(ScalarType.Float32).cpu();
        var directions = tensor(projection.Directions.SelectMany(d => d).ToArray())
            .reshape(projection.Directions.Length, projection.Mean.Length);
        var coordinates = (data - tensor(projection.Mean)).matmul(directions.T);
        var flat = coordinates.data<float>().ToArray();
        var width = projection.Directions.Length;
        return [.. Enumerable.Range(0, (int)data.shape[0]).Select(i => flat.AsSpan(i * width, width).ToArray())];
    }

    /// <summary>
    /// The posterior over a uniform mixture's components: r_ik = N(z_i | m_k, v_k) / Σ_j N(z_i | m_j, v_j).
    /// z: (n, z_dim); m, v: (k, z_dim) → (n, k), each row summing to 1.
    /// </summary>
    public static Tensor Responsibilities(Tensor z, Tensor m, Tensor v) =>
        nn.functional.softmax(Utils.LogNormal(z.unsqueeze(1), m.unsqueeze(0), v.unsqueeze(0)), dim: 1);

    private static void CheckPath(float[] a, float[] b, int steps)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"the two ends have {a.Length} and {b.Length} values; both must be z of one model.");
        if (steps < 2)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "a path needs at least its two ends.");
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>
/// The probability helpers of the homework's <c>utils.py</c>, one function each, with the same names and shapes.
/// Every model is written in terms of these; none re-derives a density inline.
/// </summary>
public static class Utils
{
    // Owned, never finalized mid-call: see OwnedScalars. VarianceFloor keeps v > 0 where softplus underflows.
    private static readonly Scalar Log2Pi = Math.Log(2 * Math.PI).ToScalar();
    private static readonly Scalar VarianceFloor = 1e-8.ToScalar();
    private static readonly Scalar MinusHalf = (-0.5).ToScalar();

    /// <summary>Splits h: (…, 2·dim) into mean m = first half and variance v = softplus(second half) + 1e-8.</summary>
    public static (Tensor m, Tensor v) GaussianParameters(Tensor h, long dim = -1)
    {
        var halves = h.chunk(2, dim);
        return (halves[0], OwnedScalars.Softplus(halves[1]).Plus(VarianceFloor));
    }

    /// <summary>Reparameterised sample z = m + sqrt(v)·ε, ε ~ N(0, I). m, v: (batch, dim).</summary>
    public static Tensor SampleGaussian(Tensor m, Tensor v) => m.Plus(v.sqrt() * StandardNormalLike(m));

    // ε given in advance (UseNoise), so a model's bounds can be compared with PyTorch's for the same noise.
    private static readonly AsyncLocal<Queue<Tensor>?> GivenNoise = new();

    /// <summary>
    /// Until disposed, the next calls of <see cref="SampleGaussian"/> on this flow take these ε in order (each of
    /// that call's shape) instead of drawing them.
    /// </summary>
    internal static IDisposable UseNoise(params Tensor[] noise)
    {
        GivenNoise.Value = new Queue<Tensor>(noise);
        return new NoiseScope();
    }

    private sealed class NoiseScope : IDisposable
    {
        public void Dispose() => GivenNoise.Value = null;
    }

    private static Tensor StandardNormalLike(Tensor m)
    {
        if (GivenNoise.Value is not { } given)
            return RandomStream.StandardNormal(m.shape, m.dtype, m.device);
        if (!given.TryDequeue(out var eps) || !eps.shape.SequenceEqual(m.shape))
            throw new InvalidOperationException($"no given noise of shape ({string.Join(", ", m.shape)}) is left.");
        return eps.to(m.dtype, m.device);
    }

    /// <summary>log N(x | m, diag v) summed over the last dim. x, m, v: broadcastable (…, dim) → (…).</summary>
    public static Tensor LogNormal(Tensor x, Tensor m, Tensor v) =>
        (MinusHalf * v.log().Plus(Log2Pi).Plus((x - m).Squared() / v)).sum(-1);

    /// <summary>
    /// log of a uniform mixture of Gaussians. z: (batch, dim); m, v: (1, mix, dim) → (batch).
    /// Each component's log N(z | m, v) is <see cref="LogNormal"/> with its square expanded,
    /// Σ (z − m)²/v = z²·(1/v) − 2z·(m/v) + Σ m²/v, so the (batch, mix) densities come from two products of
    /// (batch, dim) by (dim, mix) instead of a (batch, mix, dim) tensor and its gradient: the same density with the
    /// sums in another order, and the GMVAE's step and its IWAE-1000 evaluation several times lighter.
    /// </summary>
    public static Tensor LogNormalMixture(Tensor z, Tensor m, Tensor v)
    {
        var (means, variances) = (m.squeeze(0), v.squeeze(0)); // (mix, dim)
        var precisions = variances.reciprocal();
        var weightedMeans = means * precisions;
        var perComponent = variances.log().sum(-1).Plus((means * weightedMeans).sum(-1)).Plus(z.shape[^1] * Math.Log(2 * Math.PI));
        var squares = z.Squared().matmul(precisions.t()) - z.matmul(weightedMeans.t()).Times(2); // (batch, mix)
        return LogMeanExp(MinusHalf * squares.Plus(perComponent), dim: 1);
    }

    /// <summary>KL(N(qm, qv) ‖ N(pm, pv)) summed over the last dim. All (batch, dim), broadcastable → (batch).</summary>
    public static Tensor KlNormal(Tensor qm, Tensor qv, Tensor pm, Tensor pv) =>
        (OwnedScalars.Half * ((pv.log() - qv.log()).Plus(qv / pv).Plus((qm - pm).Squared() / pv) - OwnedScalars.One)).sum(-1);

    /// <summary>KL of categoricals, Σ q·(log q − log p) over the last dim. q, logQ, logP: (batch, k) → (batch).</summary>
    public static Tensor KlCat(Tensor q, Tensor logQ, Tensor logP) => (q * (logQ - logP)).sum(-1);

    /// <summary>log Bern(x | sigmoid(logits)) summed over the last dim. x, logits: (batch, dim) → (batch).</summary>
    public static Tensor LogBernoulliWithLogits(Tensor x, Tensor logits) =>
        -nn.functional.binary_cross_entropy_with_logits(logits, x, reduction: nn.Reduction.None).sum(-1);

    /// <summary>Repeats the batch rep times along dim 0: (batch, …) → (rep·batch, …), copy r at rows r·batch….</summary>
    public static Tensor Duplicate(Tensor x, long rep)
    {
        var shape = x.shape;
        return x.expand([rep, .. shape]).reshape([-1, .. shape[1..]]);
    }

    /// <summary>log(mean(exp(x))) along dim, stable for large |x|.</summary>
    public static Tensor LogMeanExp(Tensor x, long dim) => LogSumExp(x, dim).Minus(Math.Log(x.shape[dim]));

    /// <summary>log(sum(exp(x))) along dim with the max-shift, so ±1000 neither overflows nor underflows.</summary>
    public static Tensor LogSumExp(Tensor x, long dim)
    {
        var max = x.max(dim, keepdim: true).values.detach();
        return (x - max).exp().sum(dim).log().Plus(max.squeeze(dim));
    }
}

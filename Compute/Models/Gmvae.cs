using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>
/// Problem 2: the GMVAE. p(z) = (1/k) Σ N(μ_i, diag σ²_i) with trained components, a Monte Carlo KL, and the same
/// encoder/decoder as the VAE; the homework's <c>gmvae.py</c>. The IWAE bound comes from <see cref="LatentVariableModel"/>.
/// </summary>
public sealed class Gmvae : LatentVariableModel
{
    internal readonly Encoder enc;
    private readonly Decoder dec;
    // Mixture prior parameters: means and pre-softplus variances stacked along dim 1, (1, 2k, z_dim).
    internal readonly Parameter z_pre;
    // Uniform mixture weights (ones(k)/k), kept for state-dict parity and used when sampling; not trained.
    private readonly Parameter pi;

    public long ZDim { get; }
    public long K { get; }

    public Gmvae(long zDim = 10, long k = 500) : base(nameof(Gmvae))
    {
        (ZDim, K) = (zDim, k);
        enc = new Encoder(xDim: 784, zDim);
        dec = new Decoder(zDim, xDim: 784);
        // Held by using until the constructor ends: outside a dispose scope, nothing else references them while
        // libtorch divides them (see OwnedScalars).
        using var normal = randn(1, 2 * k, zDim);
        using var uniform = ones(k);
        z_pre = new Parameter(normal.Over(Math.Sqrt(k * zDim)));
        pi = new Parameter(uniform.Over(k), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>The prior's component means and variances, each (1, k, z_dim).</summary>
    internal (Tensor m, Tensor v) Prior() => Utils.GaussianParameters(z_pre, dim: 1);

    /// <summary>KL has no closed form against a mixture: one-sample estimate log q(z|x) − log p(z), z ~ q(z|x).</summary>
    public override (Tensor nelbo, Tensor kl, Tensor rec) NegativeElboBound(Tensor x)
    {
        var (m, v) = Encode(x);
        var z = Utils.SampleGaussian(m, v);
        var kl = Utils.LogNormal(z, m, v) - LogPrior(z);
        var rec = -Utils.LogBernoulliWithLogits(x, Decode(z));
        return (kl.Plus(rec).mean(), kl.mean(), rec.mean());
    }

    protected override (Tensor m, Tensor v) Encode(Tensor x) => enc.Encode(x);

    protected override Tensor Decode(Tensor z) => dec.Decode(z);

    protected override Tensor LogPrior(Tensor z)
    {
        var (m, v) = Prior();
        return Utils.LogNormalMixture(z, m, v);
    }

    /// <summary>z from the mixture: pick a component by pi, then sample its Gaussian.</summary>
    public override Tensor SampleZ(int batch)
    {
        var (m, v) = Prior();
        var component = RandomStream.Multinomial(pi, batch);
        return Utils.SampleGaussian(m[0].index_select(0, component), v[0].index_select(0, component));
    }
}

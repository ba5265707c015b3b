using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>
/// Problem 1: the VAE. p(z) = N(0, I), p(x|z) = Bern(f(z)), q(z|x) = N(μ(x), diag σ²(x)); the homework's <c>vae.py</c>.
/// The IWAE bound and sampling come from <see cref="LatentVariableModel"/>.
/// </summary>
public sealed class Vae : LatentVariableModel
{
    private readonly Encoder enc;
    private readonly Decoder dec;
    // Fixed prior, stored like the reference (z_prior_m = [0.], z_prior_v = [1.], not trained).
    private readonly Parameter z_prior_m;
    private readonly Parameter z_prior_v;

    public long ZDim { get; }

    public Vae(long zDim = 10) : base(nameof(Vae))
    {
        ZDim = zDim;
        enc = new Encoder(xDim: 784, zDim);
        dec = new Decoder(zDim, xDim: 784);
        z_prior_m = new Parameter(zeros(1), requires_grad: false);
        z_prior_v = new Parameter(ones(1), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>KL is analytic here: KL(q(z|x) ‖ N(0, I)); Rec = −log p(x|z) with one z ~ q(z|x).</summary>
    public override (Tensor nelbo, Tensor kl, Tensor rec) NegativeElboBound(Tensor x)
    {
        var (m, v) = Encode(x);
        var z = Utils.SampleGaussian(m, v);
        var kl = Utils.KlNormal(m, v, z_prior_m, z_prior_v);
        var rec = -Utils.LogBernoulliWithLogits(x, Decode(z));
        return (kl.Plus(rec).mean(), kl.mean(), rec.mean());
    }

    protected override (Tensor m, Tensor v) Encode(Tensor x) => enc.Encode(x);

    protected override Tensor Decode(Tensor z) => dec.Decode(z);

    protected override Tensor LogPrior(Tensor z) => Utils.LogNormal(z, z_prior_m, z_prior_v);

    public override Tensor SampleZ(int batch) =>
        Utils.SampleGaussian(z_prior_m.expand(batch, ZDim), z_prior_v.expand(batch, ZDim));
}

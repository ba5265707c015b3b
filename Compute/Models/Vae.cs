using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>
/// Problem 1: the VAE. p(z) = N(0, I), p(x|z) = Bern(f(z)), q(z|x) = N(μ(x), diag σ²(x)); the homework's <c>vae.py</c>.
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

    public override (Tensor nelbo, Tensor kl, Tensor rec) NegativeElboBound(Tensor x)
    {
        var (m, v) = enc.Encode(x);
        var z = Utils.SampleGaussian(m, v);
        var kl = Utils.KlNormal(m, v, z_prior_m, z_prior_v);
        var rec = -Utils.LogBernoulliWithLogits(x, dec.Decode(z));
        return ((kl + rec).mean(), kl.mean(), rec.mean());
    }

    protected override (Tensor kl, Tensor rec) IwaeTerms(Tensor x, int iw)
    {
        var (m, v) = enc.Encode(x);
        var (mIw, vIw, xIw) = (Utils.Duplicate(m, iw), Utils.Duplicate(v, iw), Utils.Duplicate(x, iw));
        var z = Utils.SampleGaussian(mIw, vIw);
        var kl = Utils.LogNormal(z, mIw, vIw) - Utils.LogNormal(z, z_prior_m, z_prior_v);
        var rec = -Utils.LogBernoulliWithLogits(xIw, dec.Decode(z));
        return (kl, rec);
    }

    public override Tensor SampleZ(int batch) =>
        Utils.SampleGaussian(z_prior_m.expand(batch, ZDim), z_prior_v.expand(batch, ZDim));

    public override Tensor ComputeSigmoidGiven(Tensor z) => sigmoid(dec.Decode(z));
}

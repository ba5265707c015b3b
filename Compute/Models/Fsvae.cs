using TorchSharp.Modules;
using WebGen.Compute.Data;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>
/// The bonus problem: the fully-supervised VAE on SVHN, a conditional VAE of p(x | y). p(z) = N(0, I),
/// p(x | y, z) = N(μ(y, z), 0.1·I), inference q(z | x, y); x is continuous (byte/255), never binarised. The
/// homework's <c>fsvae.py</c> with the "v2" networks.
/// </summary>
public sealed class Fsvae : GenerativeModel, ILabelConditionedModel
{
    public const int YDim = 10;

    /// <summary>The decoder's variance, fixed as the spec says; only the mean μ(y, z) is learnt.</summary>
    public const double DecoderVariance = 0.1;

    internal readonly Encoder enc;
    internal readonly Decoder dec;
    private readonly Parameter z_prior_m;
    private readonly Parameter z_prior_v;

    public long ZDim { get; }

    public override bool BinarisesInputs => false;

    public override (int Channels, int Height, int Width) ImageShape => (Svhn.Channels, Svhn.Side, Svhn.Side);

    public Fsvae(long zDim = 10) : base(nameof(Fsvae))
    {
        ZDim = zDim;
        enc = Networks.SvhnEncoder(zDim, YDim);
        dec = Networks.SvhnDecoder(zDim, YDim);
        z_prior_m = new Parameter(zeros(1), requires_grad: false);
        z_prior_v = new Parameter(ones(1), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>
    /// ELBO of log p(x | y) = E_q[log p(x | y, z)] − KL(q(z | x, y) ‖ p(z)). x: (batch, 3072) in [0, 1], y: (batch, 10)
    /// one-hot → mean over the batch of NELBO = KL + Rec, Rec = −log N(x | μ(y, z), 0.1·I) with one z ~ q(z | x, y).
    /// </summary>
    public (Tensor nelbo, Tensor kl, Tensor rec) NegativeElboBound(Tensor x, Tensor y)
    {
        var (m, v) = enc.Encode(x, y);
        var z = Utils.SampleGaussian(m, v);
        var kl = Utils.KlNormal(m, v, z_prior_m, z_prior_v);
        var mean = ComputeMeanGiven(z, y);
        var rec = -Utils.LogNormal(x, mean, OwnedScalars.FullLike(mean, DecoderVariance));
        return (kl.Plus(rec).mean(), kl.mean(), rec.mean());
    }

    public override LossTerms Loss(Batch batch)
    {
        var (nelbo, kl, rec) = NegativeElboBound(batch.X, batch.Y);
        return new LossTerms(nelbo, kl, rec);
    }

    /// <summary>μ(y, z): z (batch, z_dim), y (batch, 10) one-hot → (batch, 3072), not clipped.</summary>
    public Tensor ComputeMeanGiven(Tensor z, Tensor y) => dec.Decode(z, y);

    /// <summary>clip(μ(y, z), 0, 1) for every digit in each style: z (n, z_dim) → (10, n, 3072).</summary>
    public Tensor DecodeDigits(Tensor z)
    {
        var (zAll, y) = LabelConditioned.EveryDigit(z, ZDim, z_prior_m.device);
        return ComputeMeanGiven(zAll, y).clamp(OwnedScalars.Zero, OwnedScalars.One).reshape(YDim, z.shape[0], -1);
    }

    /// <summary>clip(μ(y = digit, z), 0, 1) in each style: z (n, z_dim) → (n, 3072).</summary>
    public Tensor DecodeDigit(Tensor z, int digit)
    {
        var (styles, y) = LabelConditioned.OneDigitOfEach(z, digit, ZDim, z_prior_m.device);
        return ComputeMeanGiven(styles, y).clamp(OwnedScalars.Zero, OwnedScalars.One);
    }

    /// <summary>The mean of q(z | x, y = digit): x (n, 3072) in [0, 1] → (n, z_dim).</summary>
    public Tensor EncodeStyle(Tensor x, int digit)
    {
        var (images, y) = LabelConditioned.OneDigit(x, digit, Svhn.Pixels, z_prior_m.device);
        return enc.Encode(images, y).m;
    }

    /// <summary>The spec's 10×20 grid: row i, column j is clip(μ(y = i, z_j)), z_j ~ N(0, I).</summary>
    public override Tensor SampleGrid() => this.StyleGrid(z_prior_m.device);
}

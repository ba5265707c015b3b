using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>
/// Problem 4: the semi-supervised VAE. p(z) = N(0, I), p(y) = 1/10, p(x|y, z) = Bern(f(y, z)), inference
/// q(y|x) q(z|x, y); trained on gw·NELBO(unlabelled x) + cw·cross-entropy(q(y|x_l), y_l). The homework's <c>ssvae.py</c>.
/// </summary>
public sealed class Ssvae : GenerativeModel, ILabelConditionedModel
{
    public const int YDim = 10;

    internal readonly Encoder enc;
    internal readonly Decoder dec;
    internal readonly Classifier cls;
    private readonly Parameter z_prior_m;
    private readonly Parameter z_prior_v;

    public long ZDim { get; }
    public double GenWeight { get; }
    public double ClassWeight { get; }

    public Ssvae(long zDim = 64, double genWeight = 1, double classWeight = 100) : base(nameof(Ssvae))
    {
        (ZDim, GenWeight, ClassWeight) = (zDim, genWeight, classWeight);
        enc = new Encoder(xDim: 784, zDim, YDim);
        dec = new Decoder(zDim, xDim: 784, YDim);
        cls = new Classifier(xDim: 784, YDim);
        z_prior_m = new Parameter(zeros(1), requires_grad: false);
        z_prior_v = new Parameter(ones(1), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>
    /// x: (batch, 784) → NELBO = KL_y + Σ_y q(y|x)·[KL_z(y) + Rec(y)], exact over the ten labels with one z per label;
    /// returns (nelbo, kl_z, kl_y, rec), each a mean over the batch.
    /// </summary>
    public (Tensor nelbo, Tensor klZ, Tensor klY, Tensor rec) NegativeElboBound(Tensor x)
    {
        var batch = x.shape[0];
        var yLogProb = nn.functional.log_softmax(cls.Classify(x), dim: 1);
        var yProb = yLogProb.exp(); // (batch, 10)

        // Every x with every label: rows are label-major, matching duplicate(x, 10).
        var y = nn.functional.one_hot(OwnedScalars.Range(YDim, x.device).repeat_interleave(batch), YDim).to(x.dtype);
        var xAll = Utils.Duplicate(x, YDim);
        var (m, v) = enc.EncodeEveryLabel(x, YDim);
        var z = Utils.SampleGaussian(m, v);

        var klY = Utils.KlCat(yProb, yLogProb, OwnedScalars.FullLike(yLogProb, Math.Log(1.0 / YDim)));
        var klZ = Utils.KlNormal(m, v, z_prior_m, z_prior_v).reshape(YDim, batch);
        var rec = (-Utils.LogBernoulliWithLogits(xAll, dec.Decode(z, y))).reshape(YDim, batch);
        var weights = yProb.t(); // (10, batch), q(y|x) per row of the duplicated batch
        var klZExpected = (weights * klZ).sum(dim: 0);
        var recExpected = (weights * rec).sum(dim: 0);
        var nelbo = klY.Plus(klZExpected).Plus(recExpected);
        return (nelbo.mean(), klZExpected.mean(), klY.mean(), recExpected.mean());
    }

    /// <summary>The classifier q(y|x): x (batch, 784) → (batch, 10) logits.</summary>
    public Tensor Classify(Tensor x) => cls.Classify(x);

    /// <summary>Needs <see cref="Batch.LabelledX"/> and <see cref="Batch.LabelledY"/> (one-hot).</summary>
    public override LossTerms Loss(Batch batch)
    {
        if (batch.LabelledX is null || batch.LabelledY is null)
            throw new ArgumentException("The SSVAE trains with a labelled set; the batch has none.");
        var crossEntropy = nn.functional.cross_entropy(cls.Classify(batch.LabelledX), batch.LabelledY.argmax(1));
        if (GenWeight == 0) // gw = 0 is plain supervised learning; the reference skips the NELBO then
        {
            var zero = zeros(1, device: batch.X.device).squeeze();
            return new LossTerms(crossEntropy.Times(ClassWeight), zero, zero);
        }
        var (nelbo, klZ, klY, rec) = NegativeElboBound(batch.X);
        return new LossTerms(nelbo.Times(GenWeight).Plus(crossEntropy.Times(ClassWeight)), klZ.Plus(klY), rec);
    }

    /// <summary>Bernoulli means for given labels and latents: y (batch, 10) one-hot, z (batch, z_dim) → (batch, 784).</summary>
    public Tensor ComputeSigmoidGiven(Tensor z, Tensor y) => sigmoid(dec.Decode(z, y));

    /// <summary>Bernoulli means of every digit in each style: z (n, z_dim) → (10, n, 784).</summary>
    public Tensor DecodeDigits(Tensor z)
    {
        var (zAll, y) = LabelConditioned.EveryDigit(z, ZDim, z_prior_m.device);
        return ComputeSigmoidGiven(zAll, y).reshape(YDim, z.shape[0], -1);
    }

    /// <summary>Bernoulli means of one digit in each style: z (n, z_dim) → (n, 784).</summary>
    public Tensor DecodeDigit(Tensor z, int digit)
    {
        var (styles, y) = LabelConditioned.OneDigitOfEach(z, digit, ZDim, z_prior_m.device);
        return ComputeSigmoidGiven(styles, y);
    }

    /// <summary>The mean of q(z | x, y = digit): x (n, 784) → (n, z_dim).</summary>
    public Tensor EncodeStyle(Tensor x, int digit)
    {
        var (images, y) = LabelConditioned.OneDigit(x, digit, xDim: 784, z_prior_m.device);
        return enc.Encode(images, y).m;
    }

    /// <summary>Row i is digit i, column j shares latent z_j across rows: each column one style.</summary>
    public override Tensor SampleGrid() => this.StyleGrid(z_prior_m.device);
}

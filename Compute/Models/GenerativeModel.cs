using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>One training step's data: x (batch, x_dim), one-hot y (batch, 10), and for the SSVAE the labelled set.</summary>
public readonly record struct Batch(Tensor X, Tensor Y, Tensor? LabelledX = null, Tensor? LabelledY = null);

/// <summary>The loss of one training step and the terms shown while training.</summary>
public readonly record struct LossTerms(Tensor Loss, Tensor Kl, Tensor Rec);

/// <summary>A model the trainer can fit and the grid can draw. Each model file follows the homework's methods.</summary>
public abstract class GenerativeModel(string name) : nn.Module(name)
{
    /// <summary>MNIST models see a fresh bernoulli(x) every step (and their labelled set too); SVHN does not.</summary>
    public virtual bool BinarisesInputs => true;

    /// <summary>What one row of x is, channel-first: MNIST's 1×28×28 grey levels unless a model says otherwise.</summary>
    public virtual (int Channels, int Height, int Width) ImageShape => (1, 28, 28);

    public abstract LossTerms Loss(Batch batch);

    /// <summary>The 10×20 sample grid, row-major: (200, x_dim) values in [0, 1].</summary>
    public abstract Tensor SampleGrid();
}

/// <summary>
/// A model of p(x) that the protocol evaluates (VAE, GMVAE): the negative ELBO, the negative IWAE bound, samples.
/// </summary>
public abstract class LatentVariableModel(string name) : GenerativeModel(name)
{
    /// <summary>
    /// Rows (samples × images) drawn at once by <see cref="NegativeIwaeBound"/>. Bounds memory for large m: the
    /// GMVAE's mixture density alone holds rows × k × z_dim floats (2000 × 500 × 10 = 40 MB) per intermediate.
    /// </summary>
    public const int IwaeChunkRows = 2000;

    /// <summary>x: (batch, 784) binary → mean over the batch of NELBO = KL + Rec, and the two terms.</summary>
    public abstract (Tensor nelbo, Tensor kl, Tensor rec) NegativeElboBound(Tensor x);

    /// <summary>q(z|x): x (batch, 784) → mean and variance, each (batch, z_dim).</summary>
    protected abstract (Tensor m, Tensor v) Encode(Tensor x);

    /// <summary>p(x|z): z (batch, z_dim) → (batch, 784) Bernoulli logits.</summary>
    protected abstract Tensor Decode(Tensor z);

    /// <summary>log p(z) of the model's prior: z (batch, z_dim) → (batch).</summary>
    protected abstract Tensor LogPrior(Tensor z);

    /// <summary>z from the prior: (batch, z_dim).</summary>
    public abstract Tensor SampleZ(int batch);

    /// <summary>The mean of q(z|x), for the explorers: x (batch, 784) → (batch, z_dim).</summary>
    internal Tensor EncodeMean(Tensor x) => Encode(x).m;

    /// <summary>Bernoulli means sigmoid(f(z)) for z: (batch, z_dim) → (batch, 784).</summary>
    public Tensor ComputeSigmoidGiven(Tensor z) => sigmoid(Decode(z));

    /// <summary>
    /// The per-sample terms of the IWAE bound for x duplicated iw times with one z each:
    /// kl = log q(z|x) − log p(z) and rec = −log p(x|z), both (iw·batch), in <see cref="Utils.Duplicate"/> order.
    /// </summary>
    private (Tensor kl, Tensor rec) IwaeTerms(Tensor x, int iw)
    {
        var (m, v) = Encode(x);
        var (mIw, vIw, xIw) = (Utils.Duplicate(m, iw), Utils.Duplicate(v, iw), Utils.Duplicate(x, iw));
        var z = Utils.SampleGaussian(mIw, vIw);
        var kl = Utils.LogNormal(z, mIw, vIw) - LogPrior(z);
        var rec = -Utils.LogBernoulliWithLogits(xIw, Decode(z));
        return (kl, rec);
    }

    public override LossTerms Loss(Batch batch)
    {
        var (nelbo, kl, rec) = NegativeElboBound(batch.X);
        return new LossTerms(nelbo, kl, rec);
    }

    public Tensor SampleSigmoid(int batch) => ComputeSigmoidGiven(SampleZ(batch));

    /// <summary>Binary images x ~ Bern(sigmoid(f(z))), z from the prior.</summary>
    public Tensor SampleX(int batch) => RandomStream.Bernoulli(SampleSigmoid(batch));

    public override Tensor SampleGrid()
    {
        // Its own scope keeps the temporaries referenced, so none is finalized mid-call whatever scope the caller has.
        using var scope = NewDisposeScope();
        return SampleSigmoid(200).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Negative IWAE bound with iw samples: −mean over x of log_mean_exp over samples of log w, log w = −(kl + rec).
    /// Samples are drawn in chunks of about <see cref="IwaeChunkRows"/> rows, each freed before the next; the result
    /// is the same estimator as one big duplicate.
    /// </summary>
    public (Tensor niwae, Tensor kl, Tensor rec) NegativeIwaeBound(Tensor x, int iw)
    {
        var chunk = (int)Math.Max(1, IwaeChunkRows / x.shape[0]);
        var logWeights = new List<Tensor>();
        Tensor klSum = zeros(1, device: x.device), recSum = zeros(1, device: x.device);
        for (var done = 0; done < iw; done += chunk)
        {
            var samples = Math.Min(chunk, iw - done);
            using var scope = NewDisposeScope();
            var (kl, rec) = IwaeTerms(x, samples);
            logWeights.Add((-kl.Plus(rec)).reshape(samples, -1).MoveToOuterDisposeScope());
            klSum = klSum.Plus(kl.sum()).MoveToOuterDisposeScope();
            recSum = recSum.Plus(rec.sum()).MoveToOuterDisposeScope();
        }
        var rows = (double)iw * x.shape[0];
        var niwae = -Utils.LogMeanExp(cat(logWeights, dim: 0), dim: 0);
        return (niwae.mean(), klSum.Over(rows).squeeze(), recSum.Over(rows).squeeze());
    }
}

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

    public abstract LossTerms Loss(Batch batch);

    /// <summary>The 10×20 sample grid, row-major: (200, x_dim) values in [0, 1].</summary>
    public abstract Tensor SampleGrid();
}

/// <summary>
/// A model of p(x) that the protocol evaluates (VAE, GMVAE): the negative ELBO, the negative IWAE bound, samples.
/// </summary>
public abstract class LatentVariableModel(string name) : GenerativeModel(name)
{
    /// <summary>Importance samples processed at once by <see cref="NegativeIwaeBound"/>; bounds memory for large m.</summary>
    public const int IwaeChunk = 100;

    /// <summary>x: (batch, 784) binary → mean over the batch of NELBO = KL + Rec, and the two terms.</summary>
    public abstract (Tensor nelbo, Tensor kl, Tensor rec) NegativeElboBound(Tensor x);

    /// <summary>
    /// The per-sample terms of the IWAE bound for x duplicated iw times with one z each:
    /// kl = log q(z|x) − log p(z) and rec = −log p(x|z), both (iw·batch), in <see cref="Utils.Duplicate"/> order.
    /// </summary>
    protected abstract (Tensor kl, Tensor rec) IwaeTerms(Tensor x, int iw);

    /// <summary>z from the prior: (batch, z_dim).</summary>
    public abstract Tensor SampleZ(int batch);

    /// <summary>Bernoulli means sigmoid(f(z)) for z: (batch, z_dim) → (batch, 784).</summary>
    public abstract Tensor ComputeSigmoidGiven(Tensor z);

    public override LossTerms Loss(Batch batch)
    {
        var (nelbo, kl, rec) = NegativeElboBound(batch.X);
        return new LossTerms(nelbo, kl, rec);
    }

    public Tensor SampleSigmoid(int batch) => ComputeSigmoidGiven(SampleZ(batch));

    /// <summary>Binary images x ~ Bern(sigmoid(f(z))), z from the prior.</summary>
    public Tensor SampleX(int batch) => bernoulli(SampleSigmoid(batch));

    public override Tensor SampleGrid() => SampleSigmoid(200);

    /// <summary>
    /// Negative IWAE bound with iw samples: −mean over x of log_mean_exp over samples of log w, log w = −(kl + rec).
    /// Samples are drawn in chunks of <see cref="IwaeChunk"/>; the result is the same as one big duplicate.
    /// </summary>
    public (Tensor niwae, Tensor kl, Tensor rec) NegativeIwaeBound(Tensor x, int iw)
    {
        var logWeights = new List<Tensor>();
        Tensor klSum = zeros(1, device: x.device), recSum = zeros(1, device: x.device);
        for (var done = 0; done < iw; done += IwaeChunk)
        {
            var samples = Math.Min(IwaeChunk, iw - done);
            var (kl, rec) = IwaeTerms(x, samples);
            logWeights.Add((-(kl + rec)).reshape(samples, -1));
            klSum += kl.sum();
            recSum += rec.sum();
        }
        var rows = (double)iw * x.shape[0];
        var niwae = -Utils.LogMeanExp(cat(logWeights, dim: 0), dim: 0);
        return (niwae.mean(), (klSum / rows).squeeze(), (recSum / rows).squeeze());
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>The loss of one training step and the terms shown while training.</summary>
public readonly record struct LossTerms(Tensor Loss, Tensor Kl, Tensor Rec);

/// <summary>
/// A latent-variable model of MNIST that the protocol evaluates: the negative ELBO, the negative IWAE bound and
/// samples for the grid. Each model file implements the homework's methods of the same names.
/// </summary>
public abstract class GenerativeModel : nn.Module
{
    /// <summary>Importance samples processed at once by <see cref="NegativeIwaeBound"/>; bounds memory for large m.</summary>
    public const int IwaeChunk = 100;

    protected GenerativeModel(string name) : base(name) { }

    /// <summary>x: (batch, 784) binary → mean over the batch of NELBO = KL + Rec, and the two terms.</summary>
    public abstract (Tensor nelbo, Tensor kl, Tensor rec) NegativeElboBound(Tensor x);

    /// <summary>
    /// The per-sample terms of the IWAE bound for x duplicated iw times with one z each:
    /// kl = log q(z|x) − log p(z) and rec = −log p(x|z), both (iw·batch), in <see cref="Utils.Duplicate"/> order.
    /// </summary>
    protected abstract (Tensor kl, Tensor rec) IwaeTerms(Tensor x, int iw);

    /// <summary>The training objective for a binarised batch.</summary>
    public virtual LossTerms Loss(Tensor x)
    {
        var (nelbo, kl, rec) = NegativeElboBound(x);
        return new LossTerms(nelbo, kl, rec);
    }

    /// <summary>200 (or batch) decoder means sigmoid(logits) for z from the prior: (batch, 784) in [0, 1].</summary>
    public abstract Tensor SampleSigmoid(int batch);

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

using TorchSharp;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Evaluation;

/// <summary>The reference evaluation: <c>evaluate_lower_bound</c> for VAE and GMVAE, test accuracy for the SSVAE.</summary>
public static class Evaluator
{
    public static readonly int[] IwaeSamples = [1, 10, 100, 1000];
    public const int ElboRepeats = 100;

    /// <summary>
    /// Binarise the test subset once after seeding with 0, then average NELBO/KL/Rec over 100 calls and each
    /// IWAE-m over max(100 // m, 1) calls.
    /// </summary>
    /// <param name="testSubset">(100, 784) grey levels of <see cref="Data.Subsets.TestIdx"/>, on the model's device.</param>
    public static EvaluationResult EvaluateLowerBound(LatentVariableModel model, Tensor testSubset, CancellationToken cancellationToken = default)
    {
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var stream = RandomStream.Seeded(0);
        using var drawing = stream.Use();
        var x = RandomStream.Bernoulli(testSubset);

        var (nelbo, kl, rec) = Nelbo(model, x, cancellationToken);
        var iwae = new SortedDictionary<int, double>();
        foreach (var m in IwaeSamples)
            iwae[m] = Average(Math.Max(100 / m, 1), () => model.NegativeIwaeBound(x, m), cancellationToken).Item1;
        return new EvaluationResult(nelbo, kl, rec, iwae);
    }

    /// <summary>
    /// The NELBO of <see cref="EvaluateLowerBound"/> with the test subset binarised after seeding with 0, 1, …,
    /// <paramref name="seeds"/> − 1 instead of 0 alone: every model is judged on one fixed draw of 100 binary
    /// images, and this measures how much that draw moves the number (element 0 is the protocol's NELBO).
    /// </summary>
    public static double[] NelboPerBinarisation(LatentVariableModel model, Tensor testSubset, int seeds, CancellationToken cancellationToken = default)
    {
        model.eval();
        using var noGrad = no_grad();
        var nelbos = new double[seeds];
        for (var seed = 0; seed < seeds; seed++)
        {
            using var scope = NewDisposeScope();
            using var stream = RandomStream.Seeded(seed);
            using var drawing = stream.Use();
            nelbos[seed] = Nelbo(model, RandomStream.Bernoulli(testSubset), cancellationToken).Item1;
        }
        return nelbos;
    }

    private static (double, double, double) Nelbo(LatentVariableModel model, Tensor x, CancellationToken cancellationToken) =>
        Average(ElboRepeats, () => model.NegativeElboBound(x), cancellationToken);

    /// <summary>
    /// FSVAE: NELBO, KL and Rec of log p(x | y) averaged over 100 calls (one z each) after seeding with 0, as
    /// <see cref="EvaluateLowerBound"/> does; x is not binarised, and the reference has no IWAE bound for this model.
    /// </summary>
    /// <param name="x">(n, 3072) images in [0, 1] and <paramref name="y"/> (n, 10) one-hot, on the model's device.</param>
    public static EvaluationResult EvaluateConditionalBound(Fsvae model, Tensor x, Tensor y, CancellationToken cancellationToken = default)
    {
        model.eval();
        using var noGrad = no_grad();
        using var stream = RandomStream.Seeded(0);
        using var drawing = stream.Use();
        var (nelbo, kl, rec) = Average(ElboRepeats, () => model.NegativeElboBound(x, y), cancellationToken);
        return new EvaluationResult(nelbo, kl, rec, new SortedDictionary<int, double>());
    }

    /// <summary>Fraction of test images whose classifier argmax is the label. images: (n, 784) grey levels.</summary>
    public static double ClassificationAccuracy(Ssvae model, Tensor images, Tensor labels)
    {
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return model.Classify(images).argmax(1).eq(labels).to(ScalarType.Float64).mean().item<double>();
    }

    private static (double, double, double) Average(
        int repeats, Func<(Tensor, Tensor, Tensor)> bound, CancellationToken cancellationToken)
    {
        double a = 0, b = 0, c = 0;
        for (var i = 0; i < repeats; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (first, second, third) = bound();
            a += first.item<float>() / repeats;
            b += second.item<float>() / repeats;
            c += third.item<float>() / repeats;
        }
        return (a, b, c);
    }
}

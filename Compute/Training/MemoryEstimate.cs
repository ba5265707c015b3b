using WebGen.Shared;

namespace WebGen.Compute.Training;

/// <summary>
/// An upper bound on what one training run holds in memory at its peak, in bytes, from its settings alone: the model's
/// parameters with their gradients and Adam's two moments, the training set on the device, and the larger of one
/// training step (activations kept for backward, and the gradients of each) and the evaluation at the end. Counts
/// are float32 elements of the homework's networks (x 784 / hidden 300 for MNIST, x 3072 / hidden 500 for SVHN);
/// <see cref="Slack"/> covers the allocator's caching and the temporaries that the counts leave out.
/// </summary>
public sealed record MemoryEstimate(long ParameterBytes, long DataBytes, long StepBytes, long EvaluationBytes)
{
    /// <summary>
    /// The .NET runtime with libtorch loaded, its thread pools and allocator (measured: a 50-step VAE's process peaks at
    /// 0.89 GB, of which the counted parts are under 0.3 GB). Counted for a process of its own, not for a run of the web
    /// app, which has it already.
    /// </summary>
    public const long RuntimeBytes = 768L << 20;

    /// <summary>Freed tensors stay cached by the allocator and a step makes temporaries beyond its saved ones.</summary>
    public const double Slack = 1.5;

    /// <summary>Rows of one IWAE chunk: the evaluation's largest intermediate.</summary>
    private const long IwaeRows = Models.LatentVariableModel.IwaeChunkRows;

    private const long Float = sizeof(float);

    /// <summary>What the run adds to a process that has the runtime already: what a server's budget is checked against.</summary>
    public long RunBytes => ParameterBytes + DataBytes + Math.Max(StepBytes, EvaluationBytes);

    /// <summary>The peak resident memory of a process that does nothing but this run (the CLI's <c>train</c>).</summary>
    public long ProcessBytes => RuntimeBytes + RunBytes;

    public static MemoryEstimate For(TrainingOptions options)
    {
        long batch = options.BatchSize, z = options.ZDim, k = options.K;
        return options.Model switch
        {
            ModelKind.Vae => Mnist(VaeParameters(z), Scaled(2 * Vae(batch, z)), Scaled(Vae(IwaeRows, z))),
            ModelKind.Gmvae => Mnist(
                VaeParameters(z) + (2 * k * z) + k,
                Scaled(2 * (Vae(batch, z) + Mixture(batch, k, z))),
                Scaled(Vae(IwaeRows, z) + Mixture(IwaeRows, k, z))),
            ModelKind.Ssvae => Mnist(
                Mlp(Mnist784 + 10, 300, 2 * z) + Mlp(z + 10, 300, Mnist784) + Mlp(Mnist784, 300, 10),
                Scaled(2 * Ssvae(batch, z)),
                // the classifier over the 10,000 test images, at every preview and at the end
                Scaled(Mlp(Mnist784, 300, 10, rows: Data.Mnist.TestCount)),
                testSetDuringTraining: true),
            ModelKind.Fsvae => Svhn(z, batch),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Model, "no memory estimate for this model"),
        };
    }

    private const long Mnist784 = Data.Mnist.Pixels, Svhn3072 = Data.Svhn.Pixels;

    /// <summary>An MLP in → hidden → hidden → out: its parameters, or with <paramref name="rows"/> its forward activations.</summary>
    private static long Mlp(long input, long hidden, long output, long rows = 0) => rows == 0
        ? (input * hidden) + hidden + (hidden * hidden) + hidden + (hidden * output) + output
        : rows * (input + (4 * hidden) + output); // its input, two linear outputs, two activations, its output

    private static long VaeParameters(long z) => Mlp(Mnist784, 300, 2 * z) + Mlp(z, 300, Mnist784);

    /// <summary>
    /// A VAE's forward pass over <paramref name="rows"/> images: the batch gathered and binarised, encoder, the
    /// Gaussian's mean, variance and sample (with their temporaries), decoder, and the Bernoulli log-likelihood.
    /// </summary>
    private static long Vae(long rows, long z) =>
        (2 * rows * Mnist784) + Mlp(Mnist784, 300, 2 * z, rows) + (13 * rows * z) + Mlp(z, 300, Mnist784, rows) + (3 * rows * Mnist784);

    /// <summary>
    /// The GMVAE's log_normal_mixture (<see cref="Models.Utils.LogNormalMixture"/>): z² and the two products with the
    /// components, their difference, the per-component sum and −½·(…), each rows × k, then rows × k again for the
    /// log-mean-exp (shifted, exp); the components' k × z terms beside them.
    /// </summary>
    private static long Mixture(long rows, long k, long z) => (8 * rows * k) + (2 * rows * z) + (6 * k * z);

    /// <summary>
    /// The SSVAE's step: the classifier on the batch and the 100 labelled images, then every image with every label
    /// through a VAE-like pass of (x, y) → z → (z, y) → x, whose first layer multiplies each image once
    /// (<see cref="Models.Encoder.EncodeEveryLabel"/>), and the batch duplicated ten-fold for the reconstruction.
    /// </summary>
    private static long Ssvae(long batch, long z)
    {
        var all = 10 * batch;
        return Mlp(Mnist784, 300, 10, batch + 100) + (2 * batch * Mnist784)
            + (batch * 300) + Mlp(0, 300, 2 * z, all) + (13 * all * z)
            + (all * (z + 10)) + Mlp(z + 10, 300, Mnist784, all) + (3 * all * Mnist784);
    }

    private static long Scaled(long floats) => (long)(floats * Float * Slack);

    /// <summary>A MNIST run: 60,000 training images as floats (and as bytes while they load), their one-hot labels and the order.</summary>
    private static MemoryEstimate Mnist(long parameters, long stepBytes, long evaluationBytes, bool testSetDuringTraining = false)
    {
        long Split(long count) => count * ((Mnist784 * (Float + 1)) + (10 * Float) + sizeof(long));
        var data = Split(Data.Mnist.TrainCount) + (testSetDuringTraining ? Split(Data.Mnist.TestCount) : 0);
        // at the end the test split is loaded for the evaluation
        var evaluation = evaluationBytes + (testSetDuringTraining ? 0 : Split(Data.Mnist.TestCount));
        return new(Optimised(parameters), data, stepBytes, evaluation);
    }

    /// <summary>
    /// An FSVAE run: SVHN kept as bytes (the extra split, the larger of the two it trains on) with one-hot labels, and
    /// a step of the v2 networks on byte/255 floats with a Gaussian log-likelihood; the evaluation loads the test split.
    /// </summary>
    private static MemoryEstimate Svhn(long z, long batch)
    {
        var images = (long)Data.Svhn.Official[Data.Svhn.ExtraFile].Count;
        var data = images * (Svhn3072 + (10 * Float) + sizeof(long));
        var step = (3 * batch * Svhn3072) + Mlp(Svhn3072 + 10, 500, 2 * z, batch) + (13 * batch * z)
            + Mlp(z + 10, 500, Svhn3072, batch) + (5 * batch * Svhn3072);
        var test = (long)Data.Svhn.Official[Data.Svhn.TestFile].Count * Svhn3072;
        var evaluation = test + Scaled(Mlp(Svhn3072 + 10, 500, 2 * z, IwaeRows) + Mlp(z + 10, 500, Svhn3072, IwaeRows) + (5 * IwaeRows * Svhn3072));
        return new(Optimised(Mlp(Svhn3072 + 10, 500, 2 * z) + Mlp(z + 10, 500, Svhn3072)), data, Scaled(2 * step), evaluation);
    }

    /// <summary>Parameters, their gradients, Adam's two moments, and a copy while a checkpoint is written.</summary>
    private static long Optimised(long parameters) => 5 * parameters * Float;
}

using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Images;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Explorers;

/// <summary>The ranges every explorer accepts; the web page and the benchmark read them from here.</summary>
public static class ExplorerLimits
{
    /// <summary>Images along an interpolation, both ends included.</summary>
    public const int MinSteps = 2, MaxSteps = 24;

    /// <summary>Images along each row of a traversal (−3σ … +3σ).</summary>
    public const int MinSweep = 3, MaxSweep = 15;

    /// <summary>How far a click on the latent map may lie from the mean, in the map's own units.</summary>
    public const double MaxCoordinate = 100;

    /// <summary>Fresh samples drawn from one mixture component.</summary>
    public const int ComponentSamples = 10;

    /// <summary>Test images the latent map shows: all of MNIST's, an even tenth-by-digit share of SVHN's larger split.</summary>
    public const int MapImages = 10_000;

    /// <summary>Rows of a traversal: every dimension of a small z, else this many principal directions.</summary>
    public const int TraversalRows = 10;
}

/// <summary>An end of an interpolation: a test image, or a picture of the user's.</summary>
public abstract record PathEnd;

/// <summary>Test image <paramref name="Index"/>, with its own digit.</summary>
public sealed record TestImageEnd(int Index) : PathEnd;

/// <summary>
/// A picture as the model reads it (<see cref="ExplorerModel.ReadPicture"/>: one byte per value, channel-first),
/// showing <paramref name="Digit"/> — which the label-conditioned models encode and draw it as.
/// </summary>
public sealed record PictureEnd(byte[] Pixels, int Digit) : PathEnd;

/// <summary>A test image on the latent map: where its encoded mean projects, and its digit.</summary>
public readonly record struct MapPoint(float X, float Y, int Digit);

/// <summary>
/// The test set's encoded means in two dimensions: <see cref="Points"/> in test-image order, what the axes are, and
/// for a z = 2 VAE the decoded manifold drawn over <see cref="Bounds"/> (x from left to right, y from bottom to top).
/// </summary>
public sealed record LatentMap(IReadOnlyList<MapPoint> Points, string Axes, (float XMin, float XMax, float YMin, float YMax) Bounds,
    byte[]? Manifold, int ManifoldSide);

/// <summary>A traversal's picture (one row per axis, −3σ … +3σ left to right) and each row's name.</summary>
public sealed record Traversal(byte[] Png, IReadOnlyList<string> Rows, int Steps, string Description);

/// <summary>One of the GMVAE's prior components: the test images whose encoding it explains best, by digit.</summary>
public sealed record MixtureComponent(int Index, int Claims, double Weight, int[] ClaimsByDigit, byte[] Png);

/// <summary>
/// A trained model of any kind opened for the latent-space explorers: encodes test images (the mean of q(z|x), or of
/// q(z|x,y) for the label-conditioned SSVAE and FSVAE), decodes batches of z without gradients, and keeps the test
/// set's encodings, its latent map and the GMVAE's component claims once computed. Calls run on the CPU one at a time;
/// after <see cref="Dispose"/> each throws <see cref="ObjectDisposedException"/> rather than touch freed weights.
/// </summary>
public sealed class ExplorerModel : IDisposable
{
    private readonly GenerativeModel model;
    private readonly string dataFolder;
    private readonly Lock gate = new();
    private bool disposed;
    private TestSet? testSet;
    private Projection? mapProjection;
    private LatentMap? map;
    private (string[] Names, float[][] Directions, float[] Deviations, string Description)? traversalAxes;
    private IReadOnlyList<MixtureComponent>? mixture;

    private ExplorerModel(GenerativeModel model, TrainingOptions options, string dataFolder)
    {
        (this.model, Options, this.dataFolder) = (model, options, dataFolder);
        model.eval();
    }

    /// <summary>Loads a checkpoint written by a training run; errors name what is wrong with it.</summary>
    public static ExplorerModel Open(string checkpoint, ModelKind kind, string dataFolder)
    {
        var loaded = ModelCheckpoint.Load(checkpoint, kind, CPU);
        return new ExplorerModel(loaded.Model, loaded.Options, dataFolder);
    }

    /// <summary>A model already in memory (tests, the benchmark); the explorer owns and disposes it.</summary>
    public static ExplorerModel Of(GenerativeModel model, TrainingOptions options, string dataFolder) => new(model, options, dataFolder);

    public TrainingOptions Options { get; }

    public ModelKind Kind => Options.Model;

    public int ZDim => model switch
    {
        Vae vae => (int)vae.ZDim,
        Gmvae gmvae => (int)gmvae.ZDim,
        ILabelConditionedModel conditioned => (int)conditioned.ZDim,
        _ => throw new NotSupportedException($"{model.GetType().Name} has no latent the explorers know."),
    };

    /// <summary>Whether the decoder takes the digit y beside z (SSVAE, FSVAE).</summary>
    public bool IsLabelConditioned => model is ILabelConditionedModel;

    /// <summary>Whether the prior is the GMVAE's mixture (else N(0, I)).</summary>
    public bool IsMixture => model is Gmvae;

    /// <summary>The mixture's component count k; 0 for a Gaussian prior.</summary>
    public int Components => model is Gmvae gmvae ? (int)gmvae.K : 0;

    /// <summary>How many test images the explorers offer (computing the encodings on first use).</summary>
    public int TestCount => Guarded(() => Tests().Labels.Length);

    /// <summary>The digit of test image <paramref name="index"/>.</summary>
    public int DigitOf(int index) => Guarded(() => Tests().Labels[CheckIndex(index)]);

    /// <summary>The first test image of <paramref name="digit"/>, or −1 when the set has none.</summary>
    public int FirstOf(int digit) => Guarded(() => Array.IndexOf(Tests().Labels, digit));

    /// <summary>The first <paramref name="perDigit"/> test images of each digit, digit by digit: the pickers' choices.</summary>
    public IReadOnlyList<int> Examples(int perDigit) => Guarded(() =>
    {
        var labels = Tests().Labels;
        return (IReadOnlyList<int>)[.. Enumerable.Range(0, LabelConditioned.Digits)
            .SelectMany(d => Enumerable.Range(0, labels.Length).Where(i => labels[i] == d).Take(perDigit))];
    });

    /// <summary>The mean of q(z|x) (or q(z|x,y) with its own digit) of test image <paramref name="index"/>: (z_dim).</summary>
    public float[] MeanOf(int index) => Guarded(() => Tests().Mean(CheckIndex(index)));

    /// <summary>Test image <paramref name="index"/> as a PNG, each pixel drawn scale×scale.</summary>
    public byte[] TestPicture(int index, int scale = 2) => Guarded(() =>
    {
        using var scope = NewDisposeScope();
        var set = Tests();
        return Render(set.Image(CheckIndex(index)).unsqueeze(0), 1, 1, scale);
    });

    /// <summary>The decoding of test image <paramref name="index"/>'s mean, with its own digit for the label-conditioned models.</summary>
    public byte[] Reconstruction(int index, int scale = 2) => Guarded(() =>
    {
        var set = Tests();
        CheckIndex(index);
        using var scope = NewDisposeScope();
        return Render(Decode([set.Mean(index)], set.Labels[index]), 1, 1, scale);
    });

    /// <summary>
    /// Decodings along the path from a's mean to b's in <paramref name="steps"/> images, linear or spherical: one row,
    /// or for a label-conditioned model one row drawn as a's digit and one as b's when they differ.
    /// </summary>
    public byte[] Interpolate(PathEnd a, PathEnd b, int steps, bool spherical, int scale = 2) => Guarded(() =>
    {
        CheckRange(steps, ExplorerLimits.MinSteps, ExplorerLimits.MaxSteps, "steps");
        var ((za, digitA), (zb, digitB)) = (Encode(a, "a"), Encode(b, "b"));
        var path = spherical ? LatentMath.Slerp(za, zb, steps) : LatentMath.Lerp(za, zb, steps);
        using var scope = NewDisposeScope();
        if (!IsLabelConditioned || digitA == digitB)
            return Render(Decode(path, digitA), 1, steps, scale);
        return Render(cat([Decode(path, digitA), Decode(path, digitB)], 0), 2, steps, scale);
    });

    /// <summary>The interpolation between test images <paramref name="a"/> and <paramref name="b"/>.</summary>
    public byte[] Interpolate(int a, int b, int steps, bool spherical, int scale = 2) =>
        Interpolate(new TestImageEnd(a), new TestImageEnd(b), steps, spherical, scale);

    /// <summary>The label-conditioned models' "same z, change y": <paramref name="end"/>'s style written as all ten digits.</summary>
    public byte[] ChangeY(PathEnd end, int scale = 2) => Guarded(() =>
    {
        var conditioned = model as ILabelConditionedModel
            ?? throw new InvalidOperationException($"{ModelNames.WithArticle(Kind)} has no y to change.");
        return conditioned.DrawDigitsPng(Encode(end, "the picture").Mean, scale);
    });

    /// <summary>The values of one picture as this model reads it: channels × height × width.</summary>
    public int PictureValues
    {
        get
        {
            var (channels, height, width) = model.ImageShape;
            return channels * height * width;
        }
    }

    /// <summary>
    /// An uploaded picture (PNG, JPEG, GIF, BMP or WebP) as this model reads it — the style explorer's reading, see
    /// <see cref="ImageInput"/> — one byte per value as the test images are kept, so it encodes as a test image does.
    /// </summary>
    public byte[] ReadPicture(byte[] file)
    {
        var (channels, height, width) = model.ImageShape;
        return [.. ImageInput.Read(file, channels, height, width).Select(v => (byte)Math.Round(Math.Clamp(v, 0f, 1f) * 255))];
    }

    /// <summary>A picture of <see cref="PictureValues"/> bytes (<see cref="ReadPicture"/>) as a PNG, each pixel drawn scale×scale.</summary>
    public byte[] PicturePng(byte[] pixels, int scale = 2) => Guarded(() =>
    {
        using var scope = NewDisposeScope();
        return Render(Pixels(pixels, "the picture").unsqueeze(0), 1, 1, scale);
    });

    /// <summary>
    /// One row per axis — each dimension of z up to <see cref="ExplorerLimits.TraversalRows"/>, else that many principal
    /// directions of the test encodings — from −3σ to +3σ in <paramref name="steps"/> images, σ the test encodings'
    /// deviation along the axis; around test image <paramref name="from"/>'s mean, or the prior's mean when null (drawn
    /// as <paramref name="digit"/> by the label-conditioned models).
    /// </summary>
    public Traversal Traverse(int? from, int digit, int steps, int scale = 2) => Guarded(() =>
    {
        CheckRange(steps, ExplorerLimits.MinSweep, ExplorerLimits.MaxSweep, "steps");
        CheckRange(digit, 0, LabelConditioned.Digits - 1, "digit");
        var set = Tests();
        var origin = from is { } index ? set.Mean(CheckIndex(index)) : PriorMean();
        var drawn = from is { } i ? set.Labels[i] : digit;
        var (names, directions, deviations, description) = traversalAxes ??= TraversalAxes(set);
        using var scope = NewDisposeScope();
        var rows = directions.Select((d, k) => LatentMath.Sweep(origin, d, deviations[k], steps)).SelectMany(r => r).ToArray();
        return new Traversal(Render(Decode(rows, drawn), directions.Length, steps, scale), names, steps, description);
    });

    /// <summary>The traversal's rows for this model, computed once from the test encodings: names, directions, σ, and what they are.</summary>
    private (string[] Names, float[][] Directions, float[] Deviations, string Description) TraversalAxes(TestSet set)
    {
        using var scope = NewDisposeScope();
        using var means = set.MeansTensor();
        if (ZDim <= ExplorerLimits.TraversalRows)
        {
            return ([.. Enumerable.Range(1, ZDim).Select(k => $"z{k}")],
                [.. Enumerable.Range(0, ZDim).Select(k => Enumerable.Range(0, ZDim).Select(j => j == k ? 1f : 0f).ToArray())],
                means.std([0]).data<float>().ToArray(),
                $"Each of z's {ZDim} dimensions from −3σ to +3σ, σ its spread over the test images' encodings.");
        }
        var pca = LatentMath.Pca(means, ExplorerLimits.TraversalRows);
        return ([.. Enumerable.Range(1, pca.Directions.Length).Select(k => $"direction {k}")], pca.Directions, pca.Deviations,
            $"The top {pca.Directions.Length} principal directions of z's {ZDim} dimensions " +
            $"({100 * pca.Explained:F0} % of the test encodings' variance), each from −3σ to +3σ.");
    }

    /// <summary>
    /// The test set's encoded means in 2-D, computed once: z itself for z = 2, else the top two principal directions.
    /// For a z = 2 VAE also the decoded manifold, <paramref name="side"/>×<paramref name="side"/> images over the points' range.
    /// </summary>
    public LatentMap Map(int side = 20) => Guarded(() => map ??= ComputeMap(side));

    /// <summary>The decoding of the map's point (x, y): one image, or the ten digits in that style for a label-conditioned model.</summary>
    public byte[] DecodeAt(double x, double y, int scale = 2) => Guarded(() =>
    {
        foreach (var (value, name) in new[] { (x, "x"), (y, "y") })
            if (!double.IsFinite(value) || Math.Abs(value) > ExplorerLimits.MaxCoordinate)
                throw new ArgumentException(
                    $"{name} {value}: accepted values are finite numbers from −{ExplorerLimits.MaxCoordinate} to {ExplorerLimits.MaxCoordinate}.");
        map ??= ComputeMap(20);
        var z = mapProjection!.Lift([x, y]);
        if (model is ILabelConditionedModel conditioned)
            return conditioned.DrawDigitsPng(z, scale);
        using var scope = NewDisposeScope();
        return Render(Decode([z], 0), 1, 1, scale);
    });

    /// <summary>
    /// The GMVAE's components, most-claiming first: each test image is claimed by the component of its largest
    /// responsibility for its encoded mean, so the claims sum to <see cref="TestCount"/>. Computed once.
    /// </summary>
    public IReadOnlyList<MixtureComponent> Mixture(int scale = 2) => Guarded(() => mixture ??= ComputeMixture(scale));

    /// <summary>
    /// <see cref="ExplorerLimits.ComponentSamples"/> decodings of z ~ N(m_k, v_k) from component
    /// <paramref name="component"/>, the noise drawn from <paramref name="seed"/> so the same seed draws the same images.
    /// </summary>
    public byte[] SampleComponent(int component, int seed, int scale = 2) => Guarded(() =>
    {
        var gmvae = model as Gmvae ?? throw new InvalidOperationException($"{ModelNames.WithArticle(Kind)} has no mixture prior.");
        CheckRange(component, 0, Components - 1, "component");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        var (m, v) = gmvae.Prior();
        var eps = randn([ExplorerLimits.ComponentSamples, ZDim], generator: generator);
        var z = m[0, component].unsqueeze(0).Plus(v[0, component].sqrt().unsqueeze(0) * eps);
        return Render(gmvae.ComputeSigmoidGiven(z), 1, ExplorerLimits.ComponentSamples, scale);
    });

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            model.Dispose();
        }
    }

    private T Guarded<T>(Func<T> work)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var noGrad = no_grad();
            return work();
        }
    }

    private TestSet Tests() => testSet ??= TestSet.Encode(model, dataFolder, Kind);

    /// <summary>An end's mean of q(z|x) (or q(z|x,y)) and its digit; <paramref name="name"/> names it in errors.</summary>
    private (float[] Mean, int Digit) Encode(PathEnd end, string name)
    {
        if (end is TestImageEnd test)
        {
            var set = Tests();
            return (set.Mean(CheckIndex(test.Index)), set.Labels[test.Index]);
        }
        var picture = (PictureEnd)end;
        CheckRange(picture.Digit, 0, LabelConditioned.Digits - 1, $"{name}'s digit");
        using var scope = NewDisposeScope();
        var x = Pixels(picture.Pixels, name).unsqueeze(0);
        var mean = model switch
        {
            LatentVariableModel latent => latent.EncodeMean(x),
            ILabelConditionedModel conditioned => conditioned.EncodeStyle(x, picture.Digit),
            _ => throw new NotSupportedException($"{model.GetType().Name} has no encoder the explorers know."),
        };
        return (mean.cpu().data<float>().ToArray(), picture.Digit);
    }

    /// <summary>A picture's bytes as (x_dim) values in [0, 1], refused unless it has this model's size.</summary>
    private Tensor Pixels(byte[] pixels, string name)
    {
        if (pixels.Length != PictureValues)
        {
            var (channels, height, width) = model.ImageShape;
            throw new ArgumentException($"{name} has {pixels.Length} values; {ModelNames.WithArticle(Kind)} reads pictures of " +
                                        $"{PictureValues} ({channels} × {height} × {width}).");
        }
        return tensor(pixels).to(ScalarType.Float32).div(OwnedScalars.ByteScale);
    }

    private int CheckIndex(int index) =>
        CheckRange(index, 0, Tests().Labels.Length - 1, "test image");

    private static int CheckRange(int value, int min, int max, string name) => value >= min && value <= max
        ? value
        : throw new ArgumentException($"{name} {value}: accepted values are {min} to {max}.");

    /// <summary>z: rows of (z_dim) → (n, x_dim) images in [0, 1], drawn as <paramref name="digit"/> where the decoder takes one.</summary>
    private Tensor Decode(float[][] z, int digit)
    {
        var batch = tensor(z.SelectMany(r => r).ToArray()).reshape(z.Length, ZDim);
        return model switch
        {
            LatentVariableModel latent => latent.ComputeSigmoidGiven(batch),
            ILabelConditionedModel conditioned => conditioned.DecodeDigit(batch, digit),
            _ => throw new NotSupportedException($"{model.GetType().Name} has no decoder the explorers know."),
        };
    }

    private byte[] Render(Tensor images, int rows, int cols, int scale)
    {
        var (channels, height, width) = model.ImageShape;
        return SampleGrid.RenderPng(images, rows, cols, height, width, channels, scale);
    }

    /// <summary>The prior's mean: 0 for N(0, I), the mixture's Σ m_k / k for the GMVAE.</summary>
    private float[] PriorMean()
    {
        if (model is not Gmvae gmvae)
            return new float[ZDim];
        using var scope = NewDisposeScope();
        return gmvae.Prior().m[0].mean([0]).data<float>().ToArray();
    }

    private LatentMap ComputeMap(int side)
    {
        var set = Tests();
        using var scope = NewDisposeScope();
        using var means = set.MeansTensor();
        string axes;
        if (ZDim == 2)
        {
            mapProjection = new Projection(new float[2], [[1f, 0f], [0f, 1f]], [1f, 1f], 1);
            axes = "z₁ across, z₂ up: z itself.";
        }
        else
        {
            mapProjection = LatentMath.Pca(means, 2);
            axes = $"The top two principal directions of z's {ZDim} dimensions ({100 * mapProjection.Explained:F0} % of the variance): " +
                   "the first across, the second up.";
        }
        var coordinates = LatentMath.Project(means, mapProjection);
        var points = coordinates.Select((c, i) => new MapPoint(c[0], c[1], set.Labels[i])).ToArray();
        var bounds = Padded(points);
        byte[]? manifold = null;
        if (ZDim == 2 && Kind == ModelKind.Vae)
        {
            var grid = Enumerable.Range(0, side * side).Select(cell =>
            {
                var (row, col) = (cell / side, cell % side);
                var x = bounds.XMin + (bounds.XMax - bounds.XMin) * (col + 0.5) / side;
                var y = bounds.YMax - (bounds.YMax - bounds.YMin) * (row + 0.5) / side; // the top row is the largest z₂
                return mapProjection.Lift([x, y]);
            }).ToArray();
            manifold = Render(Decode(grid, 0), side, side, 1);
        }
        return new LatentMap(points, axes, bounds, manifold, manifold is null ? 0 : side);
    }

    private static (float XMin, float XMax, float YMin, float YMax) Padded(MapPoint[] points)
    {
        var (xMin, xMax) = (points.Min(p => p.X), points.Max(p => p.X));
        var (yMin, yMax) = (points.Min(p => p.Y), points.Max(p => p.Y));
        var (padX, padY) = (Math.Max(0.05f * (xMax - xMin), 1e-3f), Math.Max(0.05f * (yMax - yMin), 1e-3f));
        return (xMin - padX, xMax + padX, yMin - padY, yMax + padY);
    }

    private IReadOnlyList<MixtureComponent> ComputeMixture(int scale)
    {
        var gmvae = model as Gmvae ?? throw new InvalidOperationException($"{ModelNames.WithArticle(Kind)} has no mixture prior.");
        var set = Tests();
        using var scope = NewDisposeScope();
        var (m, v) = gmvae.Prior();
        var (k, n) = (Components, set.Labels.Length);
        var claims = new int[k];
        var byDigit = new int[k, LabelConditioned.Digits];
        using (var means = set.MeansTensor())
        {
            // In chunks: the (n, k, z_dim) densities of 10,000 images against 500 components would be 200 MB at once.
            for (var start = 0; start < n; start += 500)
            {
                using var chunkScope = NewDisposeScope();
                var count = Math.Min(500, n - start);
                var owner = LatentMath.Responsibilities(means.narrow(0, start, count), m[0], v[0]).argmax(1).data<long>().ToArray();
                for (var i = 0; i < count; i++)
                {
                    claims[owner[i]]++;
                    byDigit[owner[i], set.Labels[start + i]]++;
                }
            }
        }
        var pictures = gmvae.ComputeSigmoidGiven(m[0]);
        return [.. Enumerable.Range(0, k)
            .OrderByDescending(c => claims[c]).ThenBy(c => c)
            .Select(c => new MixtureComponent(c, claims[c], 1.0 / k,
                [.. Enumerable.Range(0, LabelConditioned.Digits).Select(d => byDigit[c, d])],
                Render(pictures[c].unsqueeze(0), 1, 1, scale)))];
    }

    /// <summary>
    /// The test images the explorers offer, stored compactly: labels, pixels as bytes and encoded means, all managed
    /// memory (about 8 MB for MNIST at z = 10), so nothing native outlives a call.
    /// </summary>
    private sealed class TestSet(int[] labels, byte[] pixels, float[] means, int pixelsPerImage, int zDim)
    {
        public int[] Labels { get; } = labels;

        public float[] Mean(int index) => means.AsSpan(index * zDim, zDim).ToArray();

        /// <summary>All means, (n, z_dim); the caller disposes it.</summary>
        public Tensor MeansTensor() => tensor(means).reshape(Labels.Length, zDim).DetachFromDisposeScope();

        /// <summary>Image <paramref name="index"/>, (x_dim) in [0, 1].</summary>
        public Tensor Image(int index) =>
            tensor(pixels.AsSpan(index * pixelsPerImage, pixelsPerImage).ToArray()).to(ScalarType.Float32).div(OwnedScalars.ByteScale);

        public static TestSet Encode(GenerativeModel model, string dataFolder, ModelKind kind)
        {
            using var scope = NewDisposeScope();
            var data = DataSet.For(kind);
            var images = data.TestImages(dataFolder, perDigit: int.MaxValue)
                ?? throw new FileNotFoundException($"the {data.Name} test split is not in {data.Folder(dataFolder)}; the explorers encode its images.");
            var total = (int)images.Images.shape[0];
            // Evenly spaced over the digit-sorted split, so a larger split (SVHN's 26,032) keeps each digit's share.
            var picked = Enumerable.Range(0, Math.Min(total, ExplorerLimits.MapImages))
                .Select(i => (long)((double)i * total / Math.Min(total, ExplorerLimits.MapImages))).ToArray();
            var x = images.Images.index_select(0, tensor(picked)).to(ScalarType.Float32);
            var labels = picked.Select(i => (int)images.Labels[i]).ToArray();
            var pixelsPerImage = (int)x.shape[1];
            var pixels = x.clamp(OwnedScalars.Zero, OwnedScalars.One).mul(OwnedScalars.ByteScale).round().to(ScalarType.Byte).data<byte>().ToArray();
            var zDim = model switch { Vae vae => (int)vae.ZDim, Gmvae g => (int)g.ZDim, ILabelConditionedModel c => (int)c.ZDim, _ => 0 };
            var means = new float[labels.Length * zDim];
            for (var start = 0; start < labels.Length; start += 1000)
            {
                using var chunkScope = NewDisposeScope();
                var count = Math.Min(1000, labels.Length - start);
                var chunk = x.narrow(0, start, count);
                var encoded = model switch
                {
                    LatentVariableModel latent => latent.EncodeMean(chunk),
                    ILabelConditionedModel conditioned => EncodeByDigit(conditioned, chunk, labels.AsSpan(start, count).ToArray()),
                    _ => throw new NotSupportedException($"{model.GetType().Name} has no encoder the explorers know."),
                };
                encoded.cpu().data<float>().ToArray().CopyTo(means, start * zDim);
            }
            return new TestSet(labels, pixels, means, pixelsPerImage, zDim);
        }

        /// <summary>The mean of q(z|x,y) with each image's own digit: x (n, x_dim) → (n, z_dim) in x's order.</summary>
        private static Tensor EncodeByDigit(ILabelConditionedModel model, Tensor x, int[] labels)
        {
            var result = zeros(labels.Length, model.ZDim);
            for (var d = 0; d < LabelConditioned.Digits; d++)
            {
                var rows = Enumerable.Range(0, labels.Length).Where(i => labels[i] == d).Select(i => (long)i).ToArray();
                if (rows.Length == 0) continue;
                using var index = tensor(rows);
                result.index_copy_(0, index, model.EncodeStyle(x.index_select(0, index), d).cpu());
            }
            return result;
        }
    }
}

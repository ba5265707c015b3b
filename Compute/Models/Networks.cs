using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace WebGen.Compute.Models;

/// <summary>
/// The reference codebase's networks. Layers live in a <c>net</c> Sequential named 0, 2, 4 so parameter names match
/// the PyTorch state dict (<c>enc.net.0.weight</c>, …).
/// </summary>
public static class Networks
{
    /// <summary>in → hidden → hidden → out, with the given activation between the linear layers.</summary>
    internal static Sequential Mlp(long input, long hidden, long output, Func<Module<Tensor, Tensor>> activation) =>
        Sequential(
            ("0", Linear(input, hidden)), ("1", activation()),
            ("2", Linear(hidden, hidden)), ("3", activation()),
            ("4", Linear(hidden, output)));

    /// <summary>The SVHN ("v2") encoder: (3072 + y_dim) → 500 ELU → 500 ELU → 2·z_dim.</summary>
    public static Encoder SvhnEncoder(long zDim, long yDim) => new(xDim: 3072, zDim, yDim, hidden: 500);

    /// <summary>The SVHN ("v2") decoder: (z_dim + y_dim) → 500 ELU → 500 ELU → 3072 means, not squashed.</summary>
    public static Decoder SvhnDecoder(long zDim, long yDim) => new(zDim, xDim: 3072, yDim, hidden: 500);
}

/// <summary>q(z | x[, y]): (784 + y_dim) → 300 ELU → 300 ELU → 2·z_dim ("v1"); 3072/500 for SVHN ("v2").</summary>
public sealed class Encoder : Module
{
    private readonly Sequential net;

    public Encoder(long xDim, long zDim, long yDim = 0, long hidden = 300) : base(nameof(Encoder))
    {
        net = Networks.Mlp(xDim + yDim, hidden, 2 * zDim, () => new Elu());
        RegisterComponents();
    }

    /// <summary>x: (batch, x_dim), y: (batch, y_dim) one-hot or null → mean and variance, each (batch, z_dim).</summary>
    public (Tensor m, Tensor v) Encode(Tensor x, Tensor? y = null)
    {
        var xy = y is null ? x : cat([x, y], dim: -1);
        return Utils.GaussianParameters(net.forward(xy));
    }

    /// <summary>
    /// q(z | x, y) for every label y at once: x (batch, x_dim) → mean and variance, each (y_dim·batch, z_dim), rows
    /// label-major as <c>Encode(duplicate(x, y_dim), one_hot(y))</c> with y = 0, 0, …, 1, …. The first layer's product
    /// with x is computed once per image rather than once per label, and a one-hot y picks its column of the weight:
    /// the same sums in a different order, and most of the encoder's arithmetic saved.
    /// </summary>
    public (Tensor m, Tensor v) EncodeEveryLabel(Tensor x, long yDim)
    {
        var first = (Linear)net[0];
        var xDim = x.shape[1];
        var perImage = x.matmul(first.weight!.narrow(1, 0, xDim).t()); // (batch, hidden)
        var perLabel = first.weight!.narrow(1, xDim, yDim).t().unsqueeze(1); // (y_dim, 1, hidden)
        var h = perImage.unsqueeze(0).Plus(perLabel).Plus(first.bias!).flatten(0, 1); // (y_dim·batch, hidden)
        for (var layer = 1; layer < net.Count; layer++)
            h = net[layer].call(h);
        return Utils.GaussianParameters(h);
    }
}

/// <summary>p(x | z[, y]): (z_dim + y_dim) → 300 ELU → 300 ELU → 784 logits ("v1"); 500/3072 means for SVHN.</summary>
public sealed class Decoder : Module
{
    private readonly Sequential net;

    public Decoder(long zDim, long xDim, long yDim = 0, long hidden = 300) : base(nameof(Decoder))
    {
        net = Networks.Mlp(zDim + yDim, hidden, xDim, () => new Elu());
        RegisterComponents();
    }

    /// <summary>z: (batch, z_dim), y: (batch, y_dim) one-hot or null → (batch, x_dim) logits (or means).</summary>
    public Tensor Decode(Tensor z, Tensor? y = null) => net.forward(y is null ? z : cat([z, y], dim: -1));
}

/// <summary>q(y | x): 784 → 300 ReLU → 300 ReLU → 10 logits.</summary>
public sealed class Classifier : Module
{
    private readonly Sequential net;

    public Classifier(long xDim = 784, long yDim = 10, long hidden = 300) : base(nameof(Classifier))
    {
        net = Networks.Mlp(xDim, hidden, yDim, () => ReLU());
        RegisterComponents();
    }

    /// <summary>x: (batch, x_dim) → (batch, y_dim) logits.</summary>
    public Tensor Classify(Tensor x) => net.forward(x);
}

/// <summary>
/// ELU(x) = x for x &gt; 0, exp(x) − 1 otherwise: nn.ELU() computed with Scalars we own (see <see cref="OwnedScalars"/>).
/// TorchSharp's ELU passes α, scale and input scale as temporary Scalars the garbage collector may free mid-call.
/// No parameters, so the state dict is unchanged.
/// </summary>
public sealed class Elu() : ParameterLessModule<Tensor, Tensor>("ELU")
{
    // nn.ELU()'s α = 1 with scale and input scale 1, all doubles as TorchSharp passes them.
    private static readonly Scalar Alpha = 1.0.ToScalar();
    private static readonly Scalar Scale = 1.0.ToScalar();
    private static readonly Scalar InputScale = 1.0.ToScalar();

    public override Tensor forward(Tensor x) => x.elu(Alpha, Scale, InputScale);
}

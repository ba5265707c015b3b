using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute.Models;

/// <summary>
/// Tensor arithmetic whose libtorch Scalars are owned by us, never by the garbage collector.
/// TorchSharp 0.107 wraps every number it hands libtorch in a finalizable <see cref="Scalar"/> that no dispose scope
/// tracks. An implicit conversion (<c>t + 1e-8</c>, <c>0.5 * t</c>) or a convenience overload (<c>a + b</c> is
/// <c>add(b, alpha: 1)</c>, <c>square()</c> is <c>pow(2)</c>) makes one that nothing references once its handle is
/// read, so a collection during the native call lets the finalizer free it while libtorch still reads it: "Unknown
/// scalar type", a wrong number or a crash, whenever another thread's allocations trigger a collection. Constants
/// here are rooted for the life of the process; a varying number lives in a using block around its one call.
/// Compute's BannedSymbols.txt keeps the transient forms out.
/// </summary>
public static class OwnedScalars
{
    // Each constant has the .NET type of the literal it replaces, so libtorch sees the same Scalar type as before.
    internal static readonly Scalar Zero = 0.ToScalar();
    internal static readonly Scalar One = 1.ToScalar();
    internal static readonly Scalar Two = 2.ToScalar();
    internal static readonly Scalar Half = 0.5.ToScalar();

    /// <summary>255 as a float: byte pixels divided by it lie in [0, 1].</summary>
    internal static readonly Scalar ByteScale = 255f.ToScalar();

    // nn.functional.softplus's defaults (beta 1, threshold 20) as it passes them: doubles.
    private static readonly Scalar SoftplusBeta = 1.0.ToScalar();
    private static readonly Scalar SoftplusThreshold = 20.0.ToScalar();

    // TorchSharp has no public softplus taking Scalars; its double overload forwards to this private one.
    private static readonly Func<Tensor, Scalar, Scalar, Tensor> SoftplusWithScalars = BindSoftplus();

    /// <summary>a + b, as TorchSharp's operator + computes it (alpha 1).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>t + value (alpha 1).</summary>
    public static Tensor Plus(this Tensor t, Scalar value) => t.add(value, One);

    /// <summary>t + value (alpha 1), value a double as in <c>t + 1e-8</c>.</summary>
    public static Tensor Plus(this Tensor t, double value) => Once(value.ToScalar(), s => t.add(s, One));

    /// <summary>t − value, value a double.</summary>
    public static Tensor Minus(this Tensor t, double value) => Once(value.ToScalar(), t.sub);

    /// <summary>t · value, value a double.</summary>
    public static Tensor Times(this Tensor t, double value) => Once(value.ToScalar(), t.mul);

    /// <summary>t / value, value a double.</summary>
    public static Tensor Over(this Tensor t, double value) => Once(value.ToScalar(), s => t.div(s));

    /// <summary>t / value, value a long (as in <c>ones(k) / k</c>).</summary>
    public static Tensor Over(this Tensor t, long value) => Once(value.ToScalar(), s => t.div(s));

    /// <summary>t², as TorchSharp's square() computes it (pow(2)).</summary>
    public static Tensor Squared(this Tensor t) => t.pow(Two);

    /// <summary>softplus(t) = log(1 + exp(t)) with PyTorch's defaults, as nn.functional.softplus computes it.</summary>
    public static Tensor Softplus(Tensor t) => SoftplusWithScalars(t, SoftplusBeta, SoftplusThreshold);

    /// <summary>0, 1, …, n − 1 as Int64, like <c>arange(n)</c>.</summary>
    public static Tensor Range(long n, Device? device = null) => Once(n.ToScalar(), stop => arange(Zero, stop, One, device: device));

    /// <summary>A tensor of the given size filled with value, like <c>full(size, value)</c> with an int.</summary>
    public static Tensor Full(long size, int value, ScalarType dtype, Device? device = null) =>
        Once(value.ToScalar(), s => full(size, s, dtype: dtype, device: device));

    /// <summary>A tensor like t filled with value (a double), like <c>full_like(t, value)</c>.</summary>
    public static Tensor FullLike(Tensor t, double value) => Once(value.ToScalar(), s => full_like(t, s));

    /// <summary>One call with a Scalar made for it, disposed as soon as the call returns.</summary>
    private static Tensor Once(Scalar scalar, Func<Scalar, Tensor> call)
    {
        using (scalar)
            return call(scalar);
    }

    private static Func<Tensor, Scalar, Scalar, Tensor> BindSoftplus()
    {
        var method = typeof(Tensor).GetMethod("softplus1", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(Scalar), typeof(Scalar)])
            ?? throw new InvalidOperationException(
                "TorchSharp's Tensor.softplus1(Scalar, Scalar) is gone: this TorchSharp version needs a new owned-Scalar softplus in OwnedScalars.");
        return method.CreateDelegate<Func<Tensor, Scalar, Scalar, Tensor>>();
    }
}

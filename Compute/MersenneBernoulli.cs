using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace WebGen.Compute;

/// <summary>
/// <c>torch.bernoulli(p, generator)</c> on the CPU, the same draws and the generator left in the same state, about
/// twenty times faster. libtorch draws a tensor of probabilities serially, one call into the generator per element:
/// half a millisecond of a VAE's five-millisecond step, on one core while the other waits. Here the generator's
/// Mersenne Twister is read out (<c>get_state</c>), advanced a block of 624 words at a time, tempered and compared a
/// vector at a time, and written back (<c>set_state</c>).
/// Each element is libtorch's <c>bernoulli_distribution&lt;float&gt;</c>: 1 when u &lt; p, with u the tempered
/// word's low 24 bits times 2⁻²⁴. A p outside [0, 1] (or NaN) is refused as libtorch refuses it, but before any word
/// is used: the generator is left as it was.
/// </summary>
internal static class MersenneBernoulli
{
    // mt19937: N words of state, the recurrence reads the word M ahead.
    private const int N = RandomStream.MersenneStateWords, M = 397;

    /// <summary>
    /// Whether <see cref="Draw"/> can take <paramref name="p"/>: contiguous float32 on the CPU, with libtorch's
    /// generator state laid out as <see cref="RandomStream"/> describes it (the normal samples' caches after the words
    /// are left as they are).
    /// </summary>
    public static bool CanDraw(Tensor p) =>
        p.device_type == DeviceType.CPU && p.dtype == ScalarType.Float32 && p.is_contiguous() && p.numel() <= int.MaxValue
        && RandomStream.StateLength == RandomStream.LayoutLength;

    /// <summary>x ~ Bern(p) elementwise in p's order, drawn from <paramref name="generator"/>, which moves on as libtorch's would.</summary>
    /// <exception cref="ArgumentException">An element of p is not in [0, 1]; the generator is unchanged.</exception>
    public static Tensor Draw(Tensor p, Generator generator)
    {
        byte[] state;
        using (var stateTensor = generator.get_state())
            state = stateTensor.data<byte>().ToArray();
        var left = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(RandomStream.LeftOffset));
        var next = (int)BinaryPrimitives.ReadUInt64LittleEndian(state.AsSpan(RandomStream.NextOffset));
        var wide = MemoryMarshal.Cast<byte, ulong>(state.AsSpan(RandomStream.WordsOffset, N * sizeof(ulong)));
        Span<uint> words = stackalloc uint[N];
        for (var i = 0; i < N; i++)
            words[i] = (uint)wide[i];

        var probabilities = MemoryMarshal.Cast<byte, float>(p.bytes);
        CheckProbabilities(probabilities);
        var result = empty_like(p);
        var draws = MemoryMarshal.Cast<byte, float>(result.bytes);
        // libtorch's engine: each draw first counts left down, and twists when it reaches 0 (leaving left = N, not
        // counted for that draw), then takes words[next++]. So a state of (left, next) has left − 1 words before
        // a twist, and a fresh block has N.
        for (var filled = 0; filled < draws.Length;)
        {
            if (left == 1)
            {
                Twist(words);
                (left, next) = (N + 1, 0);
            }
            var take = Math.Min(left - 1, draws.Length - filled);
            Compare(words.Slice(next, take), probabilities.Slice(filled, take), draws.Slice(filled, take));
            (next, left, filled) = (next + take, left - take, filled + take);
        }

        BinaryPrimitives.WriteInt32LittleEndian(state.AsSpan(RandomStream.LeftOffset), left);
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(RandomStream.NextOffset), (ulong)next);
        for (var i = 0; i < N; i++)
            wide[i] = words[i];
        using (var stateTensor = tensor(state))
            generator.set_state(stateTensor);
        return result;
    }

    private static void CheckProbabilities(ReadOnlySpan<float> probabilities)
    {
        var checkedUpTo = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var outside = Vector<int>.Zero;
            var i = 0;
            for (; i + Vector<float>.Count <= probabilities.Length; i += Vector<float>.Count)
            {
                var p = new Vector<float>(probabilities[i..]);
                // NaN fails both comparisons, so "not (0 ≤ p ≤ 1)" catches it with the out-of-range values.
                outside |= ~(Vector.GreaterThanOrEqual(p, Vector<float>.Zero) & Vector.LessThanOrEqual(p, Vector<float>.One));
            }
            if (outside == Vector<int>.Zero)
                checkedUpTo = i; // else the loop below finds the first wrong one to name it
        }
        foreach (var p in probabilities[checkedUpTo..])
            if (p is not (>= 0 and <= 1))
                throw new ArgumentException($"a Bernoulli probability must lie in [0, 1]; one is {p}.");
    }

    /// <summary>draws[i] = 1 if temper(words[i])'s 24-bit uniform &lt; probabilities[i], else 0.</summary>
    private static void Compare(ReadOnlySpan<uint> words, ReadOnlySpan<float> probabilities, Span<float> draws)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<uint>.Count <= words.Length; i += Vector<uint>.Count)
            {
                var uniform = Vector.ConvertToSingle(Temper(new Vector<uint>(words[i..])) & new Vector<uint>(Mantissa)) * Ulp;
                var below = Vector.LessThan(uniform, new Vector<float>(probabilities[i..]));
                Vector.ConditionalSelect(below, Vector<float>.One, Vector<float>.Zero).CopyTo(draws[i..]);
            }
        }
        for (; i < words.Length; i++)
            draws[i] = (Temper(words[i]) & Mantissa) * Ulp < probabilities[i] ? 1f : 0f;
    }

    // uniform_real_distribution<float>: a word's low 24 bits (a float's significand) times 2⁻²⁴.
    private const uint Mantissa = (1u << 24) - 1;
    private const float Ulp = 1f / (1 << 24);

    private static uint Temper(uint y)
    {
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        return y ^ (y >> 18);
    }

    private static Vector<uint> Temper(Vector<uint> y)
    {
        y ^= y >>> 11;
        y ^= (y << 7) & new Vector<uint>(0x9d2c5680u);
        y ^= (y << 15) & new Vector<uint>(0xefc60000u);
        return y ^ (y >>> 18);
    }

    /// <summary>The next block of N words, as mt19937's next_state computes it.</summary>
    private static void Twist(Span<uint> s)
    {
        // A vector of rows k … k + lanes − 1 reads rows k + 1 … k + lanes, not yet rewritten, and rows M apart:
        // ahead of k in the first part, behind it (already rewritten, as the serial loop sees them) in the second.
        // That holds for any vector width up to N − M = 227 lanes, hardware or not.
        var lanes = Vector<uint>.Count;
        var k = 0;
        for (; k + lanes <= N - M; k += lanes)
            (new Vector<uint>(s[(k + M)..]) ^ Twist(new Vector<uint>(s[k..]), new Vector<uint>(s[(k + 1)..]))).CopyTo(s[k..]);
        for (; k < N - M; k++)
            s[k] = s[k + M] ^ Twist(s[k], s[k + 1]);
        for (; k + lanes <= N - 1; k += lanes)
            (new Vector<uint>(s[(k + M - N)..]) ^ Twist(new Vector<uint>(s[k..]), new Vector<uint>(s[(k + 1)..]))).CopyTo(s[k..]);
        for (; k < N - 1; k++)
            s[k] = s[k + M - N] ^ Twist(s[k], s[k + 1]);
        s[N - 1] = s[M - 1] ^ Twist(s[N - 1], s[0]);
    }

    private const uint UpperBit = 0x80000000u, LowerBits = 0x7fffffffu, MatrixA = 0x9908b0dfu;

    private static uint Twist(uint u, uint v) => (((u & UpperBit) | (v & LowerBits)) >> 1) ^ ((0u - (v & 1)) & MatrixA);

    private static Vector<uint> Twist(Vector<uint> u, Vector<uint> v) =>
        (((u & new Vector<uint>(UpperBit)) | (v & new Vector<uint>(LowerBits))) >>> 1)
        ^ ((Vector<uint>.Zero - (v & Vector<uint>.One)) & new Vector<uint>(MatrixA));
}

using System.Globalization;
using System.IO.Compression;
using Microsoft.AspNetCore.WebUtilities;
using WebGen.Compute.Data;
using WebGen.Compute.Explorers;
using WebGen.Compute.Models;
using WebGen.Shared;

namespace WebGen.WebApp.Explorers;

/// <summary>The explorers, as the URL names them.</summary>
public enum ExploreView { Interpolate, Traverse, Map, Mixture }

/// <summary>
/// Everything an explorer shows, read from and written to the URL's query, so a copied link reproduces the view:
/// the run, the view, the picked test images, the path, the traversal's origin, the map's point, the component and
/// the seed of its samples. Unset values take the defaults below.
/// </summary>
public sealed record ExploreState
{
    public Guid? Run { get; init; }
    public ExploreView View { get; init; } = ExploreView.Interpolate;

    /// <summary>The interpolation's two test images (null: the first 1 and the first 7 of the test set).</summary>
    public int? A { get; init; }
    public int? B { get; init; }

    /// <summary>An uploaded picture in place of test image <see cref="A"/> or <see cref="B"/>, kept whole in the address.</summary>
    public PictureInAddress? PictureA { get; init; }
    public PictureInAddress? PictureB { get; init; }
    public int Steps { get; init; } = 10;
    public bool Spherical { get; init; }

    /// <summary>The traversal's origin: a test image, or the prior's mean when null; drawn as <see cref="Digit"/> then.</summary>
    public int? From { get; init; }
    public int Digit { get; init; }
    public int Sweep { get; init; } = 9;

    /// <summary>On the latent map: a test image picked, or a clicked place (X, Y) to decode.</summary>
    public int? Point { get; init; }
    public double? X { get; init; }
    public double? Y { get; init; }

    /// <summary>The GMVAE's component whose samples are shown, and their seed.</summary>
    public int? Component { get; init; }
    public int Seed { get; init; }

    private static readonly string[] ViewNames = [.. Enum.GetValues<ExploreView>().Select(Name)];

    public static string Name(ExploreView view) => view.ToString().ToLowerInvariant();

    /// <summary>The page's address for this state: only the values that differ from the defaults, in a fixed order.</summary>
    public string Url()
    {
        var defaults = new ExploreState();
        var query = new List<KeyValuePair<string, string?>>();
        void Add(string key, object? value, object? fallback)
        {
            if (value is not null && !Equals(value, fallback))
                query.Add(new(key, Convert.ToString(value, CultureInfo.InvariantCulture)));
        }
        Add("run", Run?.ToString(), null);
        Add("view", Name(View), Name(defaults.View));
        Add("a", A, null);
        Add("b", B, null);
        Add("pa", PictureA?.Text(), null);
        Add("pb", PictureB?.Text(), null);
        Add("steps", Steps, defaults.Steps);
        Add("path", Spherical ? "spherical" : "linear", "linear");
        Add("from", From, null);
        Add("digit", Digit, defaults.Digit);
        Add("sweep", Sweep, defaults.Sweep);
        Add("point", Point, null);
        Add("x", X?.ToString("R", CultureInfo.InvariantCulture), null);
        Add("y", Y?.ToString("R", CultureInfo.InvariantCulture), null);
        Add("component", Component, null);
        Add("seed", Seed, defaults.Seed);
        return QueryHelpers.AddQueryString("/explore", query);
    }

    /// <summary>
    /// The state a URL's query asks for, and one message per value that is not accepted (the value is then left at
    /// its default): "steps 100000: accepted values are 2 to 24."
    /// </summary>
    public static (ExploreState State, IReadOnlyList<string> Errors) Parse(string query)
    {
        var values = QueryHelpers.ParseQuery(query);
        var errors = new List<string>();
        var state = new ExploreState();
        string? Text(string key) => values.TryGetValue(key, out var v) ? v.ToString() : null;
        int? Whole(string key, int min, int max)
        {
            if (Text(key) is not { } text) return null;
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
                return n;
            errors.Add($"{key} {Shown(text)}: accepted values are {min} to {max}.");
            return null;
        }
        double? Real(string key)
        {
            if (Text(key) is not { } text) return null;
            var max = ExplorerLimits.MaxCoordinate;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) && Math.Abs(x) <= max)
                return x;
            errors.Add($"{key} {Shown(text)}: accepted values are numbers from −{max} to {max}.");
            return null;
        }
        if (Text("run") is { } run)
        {
            if (Guid.TryParse(run, out var id)) state = state with { Run = id };
            else errors.Add($"run {Shown(run)}: accepted values are run ids such as {Guid.Empty}.");
        }
        if (Text("view") is { } view)
        {
            var index = Array.IndexOf(ViewNames, view);
            if (index >= 0) state = state with { View = (ExploreView)index };
            else errors.Add($"view {Shown(view)}: accepted values are {string.Join(", ", ViewNames)}.");
        }
        if (Text("path") is { } path)
        {
            if (path is "linear" or "spherical") state = state with { Spherical = path == "spherical" };
            else errors.Add($"path {Shown(path)}: accepted values are linear, spherical.");
        }
        foreach (var (key, set) in new (string, Func<ExploreState, PictureInAddress, ExploreState>)[]
                 { ("pa", (s, p) => s with { PictureA = p }), ("pb", (s, p) => s with { PictureB = p }) })
        {
            if (Text(key) is not { } text) continue;
            if (PictureInAddress.Parse(text) is { } picture) state = set(state, picture);
            else errors.Add($"{key} {Shown(text)}: accepted values are {PictureInAddress.Accepted}.");
        }
        // Test images and components are checked against the model once it is open; here only against int's range.
        state = state with
        {
            A = Whole("a", 0, int.MaxValue),
            B = Whole("b", 0, int.MaxValue),
            Steps = Whole("steps", ExplorerLimits.MinSteps, ExplorerLimits.MaxSteps) ?? state.Steps,
            From = Whole("from", 0, int.MaxValue),
            Digit = Whole("digit", 0, LabelConditioned.Digits - 1) ?? state.Digit,
            Sweep = Whole("sweep", ExplorerLimits.MinSweep, ExplorerLimits.MaxSweep) ?? state.Sweep,
            Point = Whole("point", 0, int.MaxValue),
            X = Real("x"),
            Y = Real("y"),
            Component = Whole("component", 0, int.MaxValue),
            Seed = Whole("seed", Hyperparameters.Seed.Min, Hyperparameters.Seed.Max) ?? state.Seed,
        };
        if (state.X.HasValue != state.Y.HasValue)
        {
            errors.Add("x and y: a place on the map needs both.");
            state = state with { X = null, Y = null };
        }
        return (state, errors);
    }

    /// <summary>A value as messages quote it: at most 40 characters, so a flood of text is not echoed back.</summary>
    private static string Shown(string text) => text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}…'";
}

/// <summary>
/// An uploaded picture as the model reads it (one byte per value) and the digit it shows, written into the address as
/// "digit.pixels" — the pixels deflated and in base64url — so a copied link carries the picture itself: an MNIST
/// digit takes a few hundred characters, an SVHN picture a few thousand.
/// </summary>
public sealed record PictureInAddress(int Digit, byte[] Pixels)
{
    /// <summary>The largest picture a model reads: SVHN's 3 × 32 × 32.</summary>
    public const int MaxValues = Svhn.Channels * Svhn.Side * Svhn.Side;

    /// <summary>The longest value read: deflate can grow incompressible bytes a little, base64 by a third.</summary>
    public const int MaxLength = 2 + ((MaxValues + 64) * 4 / 3) + 4;

    public const string Accepted = "a digit, a dot and the picture as this page writes it (from an upload)";

    public string Text()
    {
        using var packed = new MemoryStream();
        using (var deflate = new DeflateStream(packed, CompressionLevel.SmallestSize))
            deflate.Write(Pixels);
        return $"{Digit}.{Base64UrlTextEncoder.Encode(packed.ToArray())}";
    }

    /// <summary>The picture a value names, or null when it is not one this page wrote (too long, broken, or inflating past <see cref="MaxValues"/>).</summary>
    public static PictureInAddress? Parse(string text)
    {
        if (text.Length > MaxLength || text.Length < 3 || text[1] != '.' || text[0] is < '0' or > '9')
            return null;
        try
        {
            using var deflate = new DeflateStream(new MemoryStream(Base64UrlTextEncoder.Decode(text[2..])), CompressionMode.Decompress);
            // Read one value past the largest picture: a crafted value that inflates further is refused, not unpacked.
            var pixels = new byte[MaxValues + 1];
            var count = 0;
            for (int read; count < pixels.Length && (read = deflate.Read(pixels, count, pixels.Length - count)) > 0;)
                count += read;
            return count is 0 or > MaxValues ? null : new PictureInAddress(text[0] - '0', pixels[..count]);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            return null;
        }
    }
}

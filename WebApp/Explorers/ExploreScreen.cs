using System.Diagnostics;
using WebGen.Compute.Explorers;
using WebGen.Shared;

namespace WebGen.WebApp.Explorers;

/// <summary>A test image offered by the pickers: its index in the test set, its digit and its picture (a data URL).</summary>
public sealed record TestImage(int Index, int Digit, string Picture);

/// <summary>
/// An end of the interpolation as the page shows it: "test image 12" or "your picture", its digit, its picture, and
/// its index in the test set (null for an upload).
/// </summary>
public sealed record EndImage(string Name, int Digit, string Picture, int? Index);

/// <summary>The interpolation: the two ends, their strip, and for the label-conditioned models each one's ten digits.</summary>
public sealed record InterpolationScreen(EndImage A, EndImage B, string Strip, string? DigitsOfA, string? DigitsOfB);

/// <summary>The traversal: its grid, what its rows are, and the origin's image when it starts from one.</summary>
public sealed record TraversalScreen(Traversal Traversal, string Grid, TestImage? From);

/// <summary>The latent map, and what a click on it showed: a test image with its reconstruction, or the decoding of a place.</summary>
public sealed record MapScreen(LatentMap Map, string? Manifold, TestImage? Picked, string? Reconstruction, string? Decoded);

/// <summary>The GMVAE's components, and fresh samples of the chosen one.</summary>
public sealed record MixtureScreen(IReadOnlyList<MixtureComponent> Components, int? Selected, string? Samples);

/// <summary>One redraw of an explorer, computed in one call on the opened model, and how long it took on the server.</summary>
public sealed record ExploreScreen(
    ModelKind Model, int ZDim, bool LabelConditioned, bool Mixture, int TestCount, IReadOnlyList<TestImage> Examples,
    InterpolationScreen? Interpolation, TraversalScreen? Traversal, MapScreen? Map, MixtureScreen? Components, double Milliseconds)
{
    /// <summary>Examples of each digit the pickers offer.</summary>
    public const int ExamplesPerDigit = 2;

    public static string DataUrl(byte[] png) => $"data:image/png;base64,{Convert.ToBase64String(png)}";

    /// <summary>What <paramref name="state"/> asks of <paramref name="model"/>; out-of-range test images or components throw, naming the range.</summary>
    public static ExploreScreen Draw(ExplorerModel model, ExploreState state)
    {
        var clock = Stopwatch.StartNew();
        TestImage Image(int index) => new(index, model.DigitOf(index), DataUrl(model.TestPicture(index)));
        static PathEnd End(PictureInAddress? picture, int test) => picture is { } p ? new PictureEnd(p.Pixels, p.Digit) : new TestImageEnd(test);
        EndImage Shown(PathEnd end) => end switch
        {
            PictureEnd p => new EndImage("your picture", p.Digit, DataUrl(model.PicturePng(p.Pixels)), null),
            TestImageEnd t => new EndImage($"test image {t.Index}", model.DigitOf(t.Index), DataUrl(model.TestPicture(t.Index)), t.Index),
            _ => throw new ArgumentOutOfRangeException(nameof(end)),
        };
        var examples = model.Examples(ExamplesPerDigit).Select(Image).ToArray();
        InterpolationScreen? interpolation = null;
        TraversalScreen? traversal = null;
        MapScreen? map = null;
        MixtureScreen? mixture = null;
        switch (state.View)
        {
            case ExploreView.Interpolate:
                var (a, b) = (End(state.PictureA, state.A ?? Math.Max(model.FirstOf(1), 0)), End(state.PictureB, state.B ?? Math.Max(model.FirstOf(7), 0)));
                var strip = DataUrl(model.Interpolate(a, b, state.Steps, state.Spherical));
                interpolation = new InterpolationScreen(Shown(a), Shown(b), strip,
                    model.IsLabelConditioned ? DataUrl(model.ChangeY(a)) : null, model.IsLabelConditioned ? DataUrl(model.ChangeY(b)) : null);
                break;
            case ExploreView.Traverse:
                var sweep = model.Traverse(state.From, state.Digit, state.Sweep);
                traversal = new TraversalScreen(sweep, DataUrl(sweep.Png), state.From is { } from ? Image(from) : null);
                break;
            case ExploreView.Map:
                var latent = model.Map();
                map = new MapScreen(latent, latent.Manifold is { } manifold ? DataUrl(manifold) : null,
                    state.Point is { } point ? Image(point) : null,
                    state.Point is { } p ? DataUrl(model.Reconstruction(p)) : null,
                    state is { Point: null, X: { } x, Y: { } y } ? DataUrl(model.DecodeAt(x, y)) : null);
                break;
            case ExploreView.Mixture when model.IsMixture:
                mixture = new MixtureScreen(model.Mixture(), state.Component,
                    state.Component is { } component ? DataUrl(model.SampleComponent(component, state.Seed)) : null);
                break;
            case ExploreView.Mixture:
                throw new ArgumentException($"{ModelNames.WithArticle(model.Kind)} has one Gaussian prior, not a mixture: the mixture view takes a GMVAE run.");
        }
        return new ExploreScreen(model.Kind, model.ZDim, model.IsLabelConditioned, model.IsMixture, model.TestCount, examples,
            interpolation, traversal, map, mixture, clock.Elapsed.TotalMilliseconds);
    }
}

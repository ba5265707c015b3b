using Bunit;
using WebGen.Compute.Explorers;
using WebGen.WebApp.Components.Explorers;

namespace WebGen.WebApp.Tests;

/// <summary>The explorers' components from plain state: the latent map's points and clicks, the mixture's order.</summary>
public sealed class ExplorerComponentTests : MudComponentTests
{
    /// <summary>Points on a 100 × 100 grid of the unit square's corners… spread over [0, 10]², digits cycling.</summary>
    private static LatentMap Map(int count) => new(
        [.. Enumerable.Range(0, count).Select(i => new MapPoint(i % 100 / 10f, i / 100 / 10f, i % 10))], "test axes",
        (0, 10, 0, 10), null, 0);

    [Fact]
    public void TheLatentMap_DrawsOneCirclePerPoint_ColouredByItsDigit()
    {
        var map = Context.Render<LatentMapView>(p => p.Add(m => m.Map, Map(10_000)).Add(m => m.Side, 500));

        var circles = map.FindAll("svg circle");
        Assert.Equal(10_000, circles.Count);
        Assert.Equal(LatentMapView.Colours[7], circles[7].GetAttribute("fill"));
    }

    [Fact]
    public void AClickOnEmptySpace_DecodesThatPlace_InMapUnits()
    {
        (double X, double Y)? place = null;
        var map = Context.Render<LatentMapView>(p => p
            .Add(m => m.Map, Map(1)).Add(m => m.Side, 500)
            .Add(m => m.PlacePicked, ((double X, double Y) p) => place = p));

        map.Find("svg").Click(new Microsoft.AspNetCore.Components.Web.MouseEventArgs { OffsetX = 250, OffsetY = 100 });

        Assert.Equal((5.0, 8.0), place);
    }

    [Fact]
    public void AClickNearAPoint_PicksThatTestImage()
    {
        int? picked = null;
        var map = Context.Render<LatentMapView>(p => p
            .Add(m => m.Map, Map(300)).Add(m => m.Side, 500)
            .Add(m => m.PointPicked, (int i) => picked = i));

        // Point 205 sits at (0.5, 0.2): on screen (25, 490).
        map.Find("svg").Click(new Microsoft.AspNetCore.Components.Web.MouseEventArgs { OffsetX = 26, OffsetY = 489 });

        Assert.Equal(205, picked);
    }

    [Fact]
    public void TheMixture_ListsItsComponentsInTheGivenOrder_AndAClickPicksOne()
    {
        int? picked = null;
        MixtureComponent Component(int index, int claims) => new(index, claims, 1.0 / 3, [claims, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1]);
        var view = Context.Render<MixtureView>(p => p
            .Add(m => m.Components, [Component(2, 70), Component(0, 30), Component(1, 0)])
            .Add(m => m.Picked, (int k) => picked = k));

        Assert.Equal(["70", "30", "0"], view.FindAll(".mixture-claims").Select(c => c.TextContent));
        Assert.Contains("2 of the 3 components claim at least one of the 100 test images", view.Find("[data-testid=mixture-summary]").TextContent);
        view.Find("[data-testid=component0]").Click();
        Assert.Equal(0, picked);
    }
}

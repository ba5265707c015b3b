using Bunit;
using WebGen.Shared;
using WebGen.WebApp.Components.Reviews;
using WebGen.WebApp.Reviews;

namespace WebGen.WebApp.Tests;

/// <summary>The review view rendered with bUnit from plain states: numbers, the band, pass or fail, the comment.</summary>
public sealed class ReviewComponentTests : MudComponentTests
{
    private static ReviewState Review(ModelKind model, RunMetrics? metrics, double? gw = null, ReviewStatus status = ReviewStatus.Done, string comment = "") =>
        new(Guid.NewGuid(), "Ada Lovelace", model, gw, "model-20000.pt", 2_649_659, "PyTorch (zip)", model == ModelKind.Ssvae ? 64 : 10,
            model == ModelKind.Gmvae ? 500 : null, status, metrics, null, comment, new DateTime(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc),
            metrics is null ? null : new DateTime(2026, 11, 25, 12, 2, 0, DateTimeKind.Utc));

    private static RunMetrics Bounds(double nelbo) =>
        new(new EvaluationResult(nelbo, 19.3, nelbo - 19.3, new Dictionary<int, double> { [1] = nelbo, [10] = nelbo - 2.7, [100] = nelbo - 3.7, [1000] = nelbo - 4.1 }), null);

    [Fact]
    public void VaeInsideTheBand_ShowsTheNumbersAndPasses()
    {
        var view = Context.Render<ReviewView>(p => p.Add(v => v.State, Review(ModelKind.Vae, Bounds(99.37))));
        Assert.Equal("PASS", view.Find("[data-testid=verdict]").TextContent);
        Assert.Contains("NELBO 99.37 — the grader accepts 100 ± 2 (98.00 to 102.00)", view.Find("[data-testid=grade]").TextContent);
        Assert.Contains("95.27", view.Find("[data-testid=iwae]").TextContent); // IWAE-1000
        Assert.EndsWith("/grid.png", view.Find("[data-testid=review-grid]").GetAttribute("src"));
        Assert.Contains("Ada Lovelace · VAE z=10", view.Find("[data-testid=review-title]").TextContent);
    }

    [Fact]
    public void GmvaeOutsideTheBand_Fails()
    {
        var view = Context.Render<ReviewView>(p => p.Add(v => v.State, Review(ModelKind.Gmvae, Bounds(100.42))));
        Assert.Equal("FAIL", view.Find("[data-testid=verdict]").TextContent);
        Assert.Contains("the grader accepts 97 ± 3 (94.00 to 100.00)", view.Markup);
    }

    [Fact]
    public void Ssvae_IsGradedByItsVariantsBand()
    {
        var gw0 = Context.Render<ReviewView>(p => p.Add(v => v.State, Review(ModelKind.Ssvae, new RunMetrics(null, 0.7412), gw: 0)));
        Assert.Equal("PASS", gw0.Find("[data-testid=verdict]").TextContent);
        Assert.Contains("test accuracy 0.7412 — the grader accepts 0.735 ± 0.025", gw0.Markup);
        Assert.Equal("74.12 %", gw0.Find("[data-testid=accuracy]").TextContent);
        var gw1 = Context.Render<ReviewView>(p => p.Add(v => v.State, Review(ModelKind.Ssvae, new RunMetrics(null, 0.7412), gw: 1)));
        Assert.Equal("FAIL", gw1.Find("[data-testid=verdict]").TextContent);
    }

    [Fact]
    public void WhileEvaluating_SaysSoAndShowsNoGrade()
    {
        var view = Context.Render<ReviewView>(p => p.Add(v => v.State, Review(ModelKind.Vae, null, status: ReviewStatus.Evaluating)));
        Assert.Contains("Evaluating with the course's protocol", view.Find("[data-testid=review-waiting]").TextContent);
        Assert.Empty(view.FindAll("[data-testid=grade]"));
    }

    [Fact]
    public void Comment_IsHandedOnToBeSaved()
    {
        var saved = new List<string>();
        var view = Context.Render<ReviewView>(p => p
            .Add(v => v.State, Review(ModelKind.Vae, Bounds(99)))
            .Add(v => v.OnSaveComment, (Action<string>)saved.Add));
        view.Find("[data-testid=review-comment] textarea, textarea[data-testid=review-comment]").Input("Good bounds; explain the KL.");
        view.Find("[data-testid=review-save-comment]").Click();
        Assert.Equal(["Good bounds; explain the KL."], saved);
    }
}

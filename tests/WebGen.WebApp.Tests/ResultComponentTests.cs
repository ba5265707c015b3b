using Bunit;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Training;
using WebGen.Shared;
using WebGen.WebApp.Components.Results;

namespace WebGen.WebApp.Tests;

/// <summary>The results block shared by the run page, the review page and Compare, rendered with bUnit from plain metrics.</summary>
public sealed class ResultComponentTests : MudComponentTests
{
    private static readonly EvaluationResult Bound =
        new(100.1, 19.12, 80.98, new Dictionary<int, double> { [1000] = 95.59, [1] = 100.08, [100] = 96.17, [10] = 97.16 });

    private static string[][] Rows(IRenderedComponent<RunResults> view, string testId) =>
        [.. view.FindAll($"[data-testid={testId}] tbody tr").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray())];

    [Fact]
    public void ALowerBound_ShowsNelboKlRecAndEachIwaeMInOrder()
    {
        var view = Context.Render<RunResults>(p => p.Add(r => r.Metrics, new RunMetrics(Bound, null)));
        Assert.Equal([["NELBO", "100.10"], ["KL", "19.12"], ["Rec", "80.98"]], Rows(view, "bounds"));
        Assert.Equal([["1", "100.08"], ["10", "97.16"], ["100", "96.17"], ["1000", "95.59"]], Rows(view, "iwae"));
        Assert.Empty(view.FindAll("[data-testid=accuracy]"));
    }

    [Fact]
    public void AClassifier_ShowsItsTestAccuracyAsAPercentageAndNoBounds()
    {
        var view = Context.Render<RunResults>(p => p.Add(r => r.Metrics, new RunMetrics(null, 0.9352)));
        Assert.Equal("93.52 %", view.Find("[data-testid=accuracy]").TextContent.Trim());
        Assert.Empty(view.FindAll("[data-testid=bounds]"));
    }

    public static TheoryData<ModelKind, double> GradedModels => new()
    {
        { ModelKind.Vae, 1 }, { ModelKind.Gmvae, 1 }, { ModelKind.Ssvae, 0 }, { ModelKind.Ssvae, 1 },
    };

    private static RunMetrics Graded(GraderBand band, double value) =>
        band.Metric == "accuracy" ? new(null, value) : new(Bound with { Nelbo = value }, null);

    private IRenderedComponent<GraderVerdict> Verdict(GraderBand band, double value) =>
        Context.Render<GraderVerdict>(p => p.Add(v => v.Band, band).Add(v => v.Metrics, Graded(band, value)));

    [Theory, MemberData(nameof(GradedModels))]
    public void AValueInsideTheBand_IncludingBothEnds_Passes(ModelKind model, double gw)
    {
        var band = Grading.For(model, gw);
        foreach (var value in new[] { band.Low, (band.Low + band.High) / 2, band.High })
            Assert.Equal("PASS", Verdict(band, value).Find("[data-testid=verdict]").TextContent);
    }

    [Theory, MemberData(nameof(GradedModels))]
    public void AValueOutsideTheBand_OnEitherSide_Fails(ModelKind model, double gw)
    {
        var band = Grading.For(model, gw);
        foreach (var value in new[] { band.Low - band.Tolerance / 10, band.High + band.Tolerance / 10 })
            Assert.Equal("FAIL", Verdict(band, value).Find("[data-testid=verdict]").TextContent);
    }

    [Theory, MemberData(nameof(GradedModels))]
    public void TheVerdict_NamesTheBandFromGradingAndItsTwoEnds(ModelKind model, double gw)
    {
        var band = Grading.For(model, gw);
        var text = Verdict(band, band.Target).Find("[data-testid=grade]").TextContent;
        Assert.Contains($"the grader accepts {band} ({ResultText.Graded(band, band.Low)} to {ResultText.Graded(band, band.High)})", text);
    }

    [Fact]
    public void AResultWithoutTheGradedMetric_ShowsNoVerdict()
    {
        var view = Context.Render<GraderVerdict>(p => p.Add(v => v.Band, Grading.VaeNelbo).Add(v => v.Metrics, new RunMetrics(null, 0.9352)));
        Assert.Empty(view.FindAll("[data-testid=grade]"));
    }

    [Fact]
    public void EveryMetricCompareLists_HasAName()
    {
        var metrics = Replicates.Metrics(new RunMetrics(Bound, 0.9352));
        Assert.All(metrics.Keys, key => Assert.NotEqual(key, ResultText.Label(key)));
        Assert.Equal("−IWAE m = 1000", ResultText.Label("iwae_1000"));
    }

    [Fact]
    public void AReplicateSummary_IsWrittenInTheMetricsOwnUnit()
    {
        // 0.93 and 0.94: mean 0.935, standard error √((0.005² + 0.005²) / 1 / 2) = 0.005.
        var accuracy = MetricSummary.Of([0.93, 0.94]);
        Assert.Equal("93.50 ± 0.50 %", ResultText.Summary("accuracy", accuracy));
        Assert.Equal("100.00 ± 1.00", ResultText.Summary("nelbo", MetricSummary.Of([99.0, 101.0])));
    }
}

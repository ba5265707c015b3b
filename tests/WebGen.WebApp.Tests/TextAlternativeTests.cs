using Bunit;
using WebGen.Shared;
using WebGen.WebApp.Components.Results;
using WebGen.WebApp.Components.Runs;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>What the run page says in words for whoever cannot see its chart or grid (issue 17).</summary>
public sealed class TextAlternativeTests : MudComponentTests
{
    private static readonly List<MetricPoint> History =
    [
        new(50, 202.7, 3.9, 198.8, 100, DateTime.UtcNow),
        new(1500, 130.26, 12.04, 118.21, 100, DateTime.UtcNow),
        new(3000, 108.5, 17.4, 91.1, 100, DateTime.UtcNow),
    ];

    [Fact]
    public void TheTrainingChart_SaysEachCurvesFirstAndLastValueInOneLine()
    {
        var view = Context.Render<RunView>(p => p.Add(v => v.State, Completed(ModelKind.Vae, 3000)).Add(v => v.History, History));

        Assert.Equal("Loss 202.7 at step 50 → 108.5 at step 3,000; KL 3.9 → 17.4; Rec 198.8 → 91.1",
            view.Find("[data-testid=chart-summary]").TextContent);
    }

    [Fact]
    public void TheChartsToggle_ShowsEveryPointAsATableRow()
    {
        var view = Context.Render<RunView>(p => p.Add(v => v.State, Completed(ModelKind.Vae, 3000)).Add(v => v.History, History));
        Assert.Empty(view.FindAll("[data-testid=chart-table]"));

        view.Find("[data-testid=chart-table-toggle]").Click();

        var rows = view.FindAll("[data-testid=chart-table] tbody tr")
            .Select(r => r.Children.Select(cell => cell.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal([["50", "202.7", "3.9", "198.8"], ["1,500", "130.3", "12.0", "118.2"], ["3,000", "108.5", "17.4", "91.1"]], rows);
    }

    [Fact]
    public void TheFinishedRunsGrid_IsDescribedByItsModelAndStep()
    {
        var view = Context.Render<RunView>(p => p.Add(v => v.State, Completed(ModelKind.Vae, 3000)));

        Assert.Equal("VAE samples at step 3,000: 10 rows × 20 columns of generated digits", view.Find("[data-testid=grid]").GetAttribute("alt"));
    }

    [Theory]
    [InlineData(ModelKind.Gmvae, "GMVAE samples: 10 rows × 20 columns of generated digits")]
    [InlineData(ModelKind.Ssvae, "SSVAE samples: 10 rows, the digits 0 to 9, × 20 columns, each column one style drawn for every digit")]
    [InlineData(ModelKind.Fsvae, "FSVAE samples: 10 rows, the digits 0 to 9, × 20 columns, each column one style drawn for every digit")]
    public void AGridsAlt_SaysWhatItsRowsAndColumnsMean(ModelKind model, string alt) => Assert.Equal(alt, GridText.Alt(model));

    private static RunState Completed(ModelKind model, int iterations) =>
        new(Guid.NewGuid(), Guid.NewGuid(), TrainingOptions.For(model) with { Iterations = iterations }, RunStatus.Completed, null, null, null,
            DateTime.UtcNow, DateTime.UtcNow);
}

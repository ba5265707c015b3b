using Bunit;
using WebGen.Shared;
using WebGen.WebApp.Components.Runs;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Tests;

/// <summary>The new-run form and the run view, rendered with bUnit from plain states.</summary>
public sealed class ComponentTests : MudComponentTests
{
    private IRenderedComponent<T> Render<T>(Action<ComponentParameterCollectionBuilder<T>> parameters) where T : Microsoft.AspNetCore.Components.IComponent =>
        Context.Render(parameters);

    private static AngleSharp.Dom.IElement Input(IRenderedComponent<RunForm> form, string testId) =>
        form.Find($"[data-testid={testId}] input, input[data-testid={testId}]");

    [Fact]
    public void Form_NamesTheAcceptedRangeInlineAndWillNotSubmitOutOfRange()
    {
        var submitted = new List<(TrainingOptions, int)>();
        var form = Render<RunForm>(p => p.Add(f => f.OnSubmit, (Action<(TrainingOptions, int)>)submitted.Add));
        Assert.Empty(form.FindAll("[data-testid=form-errors]"));

        Input(form, "iterations").Input("0");
        Input(form, "learning-rate").Input("-1");

        Assert.Contains("iterations 0: accepted values are 1 to 10000000.", form.Markup);
        Assert.Contains("learningRate -1: accepted values are greater than 0 and at most 1.", form.Markup);
        Assert.NotNull(form.Find("[data-testid=form-errors]"));
        Assert.True(form.Find("[data-testid=submit]").HasAttribute("disabled"));
        form.Find("[data-testid=submit]").Click();
        Assert.Empty(submitted);

        Input(form, "replicates").Input("11");
        Assert.Contains("replicates 11: accepted values are 1 to 10.", form.Markup);
    }

    [Fact]
    public void Presets_SetTheHomeworkSettingsOrAQuickDemoAndSubmitThem()
    {
        var submitted = new List<(TrainingOptions Options, int Replicates)>();
        var form = Render<RunForm>(p => p
            .Add(f => f.Model, ModelKind.Ssvae)
            .Add(f => f.OnSubmit, (Action<(TrainingOptions, int)>)submitted.Add));
        Assert.Equal("30000", Input(form, "iterations").GetAttribute("value"));

        // MudBlazor may pass a value on after the event returns (it failed under load in a full run): wait for it.
        form.Find("[data-testid=preset-quick]").Click();
        form.WaitForAssertion(() => Assert.Equal(RunForm.QuickDemoIterations.ToString(), Input(form, "iterations").GetAttribute("value")));
        Input(form, "replicates").Input("3");
        form.WaitForAssertion(() => Assert.Equal("3", Input(form, "replicates").GetAttribute("value")));
        form.Find("[data-testid=submit]").Click();
        form.WaitForAssertion(() => Assert.Single(submitted));
        var (options, replicates) = Assert.Single(submitted);
        Assert.Equal(TrainingOptions.For(ModelKind.Ssvae) with { Iterations = RunForm.QuickDemoIterations }, options);
        Assert.Equal(3, replicates);

        form.Find("[data-testid=preset-homework]").Click();
        form.WaitForAssertion(() => Assert.Equal("30000", Input(form, "iterations").GetAttribute("value")));
    }

    [Fact]
    public void Form_NamesTheInstructorsIterationLimitInline()
    {
        var submitted = new List<(TrainingOptions, int)>();
        var form = Render<RunForm>(p => p
            .Add(f => f.Limits, new WebGen.WebApp.Accounts.ClassLimits(WebGen.WebApp.Data.RegistrationMode.Open, 1, 3, 5000, 500, 128, 1000, 1000, 1024))
            .Add(f => f.OnSubmit, (Action<(TrainingOptions, int)>)submitted.Add));
        Assert.Contains("iterations 20000: accepted values are 1 to 5000 (the instructor's limit per run).", form.Markup);
        form.Find("[data-testid=submit]").Click();
        Assert.Empty(submitted);

        // MudBlazor may pass the typed value on after the event returns: wait for the form to take it.
        Input(form, "iterations").Input("5000");
        form.WaitForAssertion(() => Assert.DoesNotContain("the instructor's limit", form.Markup));
        form.WaitForAssertion(() => Assert.False(form.Find("[data-testid=submit]").HasAttribute("disabled")));
        form.Find("[data-testid=submit]").Click();
        form.WaitForAssertion(() => Assert.Single(submitted));
    }

    private static RunState State(RunStatus status, TrainingProgress? progress = null, RunMetrics? metrics = null, ModelKind model = ModelKind.Vae) =>
        new(Guid.NewGuid(), Guid.NewGuid(), TrainingOptions.For(model), status, progress, metrics, null, DateTime.UtcNow, null);

    [Fact]
    public void RunView_ShowsProgressPaceAndEtaWhileTraining()
    {
        var view = Render<RunView>(p => p.Add(v => v.State,
            State(RunStatus.Running, new TrainingProgress(5000, 20000, 104.5, 18.25, 86.25, 125)) with { PreviewStep = 5000 }));
        Assert.Equal("Step 5,000 of 20,000", view.Find("[data-testid=step]").TextContent.Trim());
        Assert.Contains("125 steps/s · ETA 2:00", view.Find("[data-testid=pace]").TextContent);
        Assert.Contains("Loss 104.50 · KL 18.25 · Rec 86.25", view.Find("[data-testid=latest]").TextContent);
        Assert.EndsWith("preview.png?step=5000", view.Find("[data-testid=preview]").GetAttribute("src"));
        Assert.NotNull(view.Find("[data-testid=cancel]"));
        Assert.Empty(view.FindAll("[data-testid=results]"));
    }

    [Fact]
    public void RunView_DrawsTheCurvesAgainOnlyWhenNewPointsArrive()
    {
        var now = DateTime.UtcNow;
        List<MetricPoint> history = [new(50, 200, 5, 195, 100, now), new(100, 180, 7, 173, 100, now)];
        RunState At(int step) => State(RunStatus.Running, new TrainingProgress(step, 20000, 180, 7, 173, 100));
        var view = Render<RunView>(p => p.Add(v => v.State, At(100)).Add(v => v.History, history));
        var chart = view.FindComponent<LineChart>();
        var drawn = chart.RenderCount;

        view.Render(p => p.Add(v => v.State, At(120)).Add(v => v.History, history)); // the progress bar moves, no new point
        Assert.Equal("Step 120 of 20,000", view.Find("[data-testid=step]").TextContent.Trim());
        Assert.Equal(drawn, chart.RenderCount);

        view.Render(p => p.Add(v => v.State, At(150)).Add(v => v.History, [.. history, new(150, 170, 8, 162, 100, now)]));
        Assert.True(chart.RenderCount > drawn, "a new point draws the curves again");
    }

    [Fact]
    public void RunView_ShowsTheBoundsTheIwaeTableAndTheGridWhenDone()
    {
        var bound = new EvaluationResult(100.1, 19.12, 80.98, new Dictionary<int, double> { [1] = 100.08, [10] = 97.16, [100] = 96.17, [1000] = 95.59 });
        var state = State(RunStatus.Completed, new TrainingProgress(20000, 20000, 99, 19, 80, 150), new RunMetrics(bound, null));
        var view = Render<RunView>(p => p.Add(v => v.State, state));

        var rows = view.FindAll("[data-testid=iwae] tbody tr").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal([["1", "100.08"], ["10", "97.16"], ["100", "96.17"], ["1000", "95.59"]], rows);
        Assert.Contains("100.10", view.Find("[data-testid=bounds]").TextContent);
        Assert.Equal($"/api/runs/{state.Id}/grid.png", view.Find("[data-testid=grid]").GetAttribute("src"));
        Assert.Empty(view.FindAll("[data-testid=cancel]"));
        Assert.Contains($"/api/runs/{state.Id}/metrics.csv", view.Markup);
    }

    [Fact]
    public void RunView_ShowsSsvaeAccuracyAndFailures()
    {
        var done = Render<RunView>(p => p.Add(v => v.State, State(RunStatus.Completed, metrics: new RunMetrics(null, 0.9352), model: ModelKind.Ssvae)));
        Assert.Equal("93.52 %", done.Find("[data-testid=accuracy]").TextContent.Trim());

        var training = Render<RunView>(p => p.Add(v => v.State,
            State(RunStatus.Running, new TrainingProgress(1500, 30000, 120, 20, 90, 20), model: ModelKind.Ssvae)
                with
            { TestAccuracy = [new(500, 0.612), new(1000, 0.7731), new(1500, 0.8025)] }));
        var curve = training.Find("[data-testid=accuracy-curve]");
        Assert.Contains("latest 80.25 % at step 1,500", curve.TextContent);
        Assert.NotEmpty(curve.QuerySelectorAll("svg path"));
        Assert.Empty(done.FindAll("[data-testid=accuracy-curve]")); // no previews, no curve

        var failed = Render<RunView>(p => p.Add(v => v.State, State(RunStatus.Failed) with { Error = "MNIST is missing" }));
        Assert.Equal("MNIST is missing", failed.Find("[data-testid=error]").TextContent.Trim());
        Assert.Equal("failed", failed.Find("[data-testid=status]").TextContent.Trim());
    }
}

using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Models;
using WebGen.Compute.Styles;
using WebGen.Shared;
using WebGen.WebApp.Components.Styles;

namespace WebGen.WebApp.Tests;

/// <summary>The style explorer's panel on a real (untrained) SSVAE checkpoint: every control redraws the ten digits.</summary>
public sealed class StylePanelTests : IAsyncLifetime
{
    private readonly BunitContext context = new();
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-styles-").FullName;
    private StyleModel? model;

    public Task InitializeAsync()
    {
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        torch.manual_seed(3);
        using var ssvae = new Ssvae();
        using var optimizer = torch.optim.Adam(ssvae.parameters());
        model = StyleModel.Open(Checkpoint.Save(ssvae, optimizer, TrainingOptions.For(ModelKind.Ssvae), folder, step: 1));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await context.DisposeAsync();
        model?.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private IRenderedComponent<StylePanel> Render(IReadOnlyList<StyleExample>? examples = null) =>
        context.Render<StylePanel>(p => p.Add(s => s.Model, model!).Add(s => s.Examples, examples ?? []));

    private static string Picture(IRenderedComponent<StylePanel> panel) => panel.Find("[data-testid=digits]").GetAttribute("src")!;

    [Fact]
    public void MovingASlider_RedrawsTheDigitsOnTheServer()
    {
        var panel = Render();
        var before = Picture(panel);
        Assert.StartsWith("data:image/png;base64,", before);
        Assert.Equal(StylePanel.SliderCount, panel.FindAll("input[type=range]").Count); // z has 64 dimensions: ten sliders

        panel.FindAll("input[type=range]")[0].Input("2.5");

        Assert.NotEqual(before, Picture(panel));
        Assert.Contains("z", panel.Markup);
        Assert.Contains("= 2.50", panel.Markup);
        Assert.Contains("redrawn on the server in", panel.Find("[data-testid=redraw]").TextContent);
    }

    [Fact]
    public void RandomStyle_Reset_AndTakingTheStyleOfAnImage_EachRedraw()
    {
        var pixels = Enumerable.Range(0, 784).Select(i => i % 28 is > 10 and < 18 ? 1f : 0f).ToArray(); // a bar, as a "1"
        var panel = Render([new StyleExample(1, pixels, [])]);
        var atZero = Picture(panel);

        panel.Find("[data-testid=random]").Click();
        Assert.NotEqual(atZero, Picture(panel));
        panel.Find("[data-testid=reset]").Click();
        Assert.Equal(atZero, Picture(panel));

        panel.Find("[data-testid=example1]").Click();
        var style = model!.StyleOf(pixels, 1);
        Assert.Equal(Picture(panel), $"data:image/png;base64,{Convert.ToBase64String(model.Draw(style))}");
        Assert.NotEqual(atZero, Picture(panel));
    }
}

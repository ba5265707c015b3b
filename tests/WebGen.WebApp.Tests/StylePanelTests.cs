using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using TorchSharp;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Models;
using WebGen.Compute.Styles;
using WebGen.Shared;
using WebGen.WebApp.Components.Styles;

namespace WebGen.WebApp.Tests;

/// <summary>The style explorer's panel on a real (untrained) SSVAE checkpoint: every control redraws the ten digits.</summary>
public sealed class StylePanelTests : MudComponentTests
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-styles-").FullName;
    private StyleModel? model;

    public override Task InitializeAsync()
    {
        torch.manual_seed(3);
        using var ssvae = new Ssvae();
        model = StyleModel.Open(Checkpoint.Save(ssvae, TrainingOptions.For(ModelKind.Ssvae), folder, step: 1), ModelKind.Ssvae);
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        model?.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private IRenderedComponent<StylePanel> Render(IReadOnlyList<StyleExample>? examples = null, StyleAxes? axes = null) =>
        Context.Render<StylePanel>(p => p
            .Add(s => s.Model, model!)
            .Add(s => s.Axes, axes ?? StyleAxes.Dimensions(model!.ZDim, 10))
            .Add(s => s.Examples, examples ?? []));

    private static string DataUrl(byte[] png) => $"data:image/png;base64,{Convert.ToBase64String(png)}";

    private static string Picture(IRenderedComponent<StylePanel> panel) => panel.Find("[data-testid=digits]").GetAttribute("src")!;

    [Fact]
    public void MovingASlider_RedrawsTheDigitsOnTheServer()
    {
        var panel = Render();
        var before = Picture(panel);
        Assert.StartsWith("data:image/png;base64,", before);
        Assert.Equal(10, panel.FindAll("input[type=range]").Count); // z has 64 dimensions: ten sliders

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
        Assert.Equal(DataUrl(model.Draw(style)), Picture(panel));
        Assert.NotEqual(atZero, Picture(panel));
    }

    [Fact]
    public void PrincipalSliders_MoveZAlongTheirDirectionFromTheMeanStyle()
    {
        torch.manual_seed(5);
        using var styles = torch.randn(300, 64) * torch.linspace(3, 0.1, 64);
        var axes = StyleAxes.Principal(styles, 10, "random styles");
        var panel = Render(axes: axes);
        Assert.Equal(DataUrl(model!.Draw(axes.Origin)), Picture(panel)); // the sliders start at the mean style
        Assert.Contains("principal directions", panel.Find("[data-testid=axes]").TextContent);

        panel.FindAll("input[type=range]")[1].Input("-2");

        Assert.Equal(DataUrl(model.Draw(axes.Move(axes.Origin, 1, -2))), Picture(panel));
        Assert.Contains("direction 2", panel.Markup);
        Assert.Contains("= -2.00", panel.Markup);
    }

    [Fact]
    public async Task AnUploadedPicture_LendsItsStyle_AndAFileThatIsNoPictureSaysWhatIsAccepted()
    {
        var panel = Render();
        var atZero = Picture(panel);
        // A white bar on black, 28 × 28, as a PNG: an MNIST-like "1".
        using var bar = torch.zeros(1, 784);
        bar.view(28, 28)[torch.TensorIndex.Slice(4, 24), torch.TensorIndex.Slice(12, 16)] = torch.tensor(1f);
        var png = WebGen.Compute.Images.SampleGrid.RenderPng(bar, 1, 1);

        var digit = panel.FindComponent<MudSelect<int>>().Instance;
        await panel.InvokeAsync(() => digit.ValueChanged.InvokeAsync(1));
        panel.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(png, "one.png", contentType: "image/png"));

        panel.WaitForAssertion(() => Assert.NotEqual(atZero, Picture(panel)));
        var (style, seen) = model!.StyleOfPicture(png, 1);
        Assert.Equal(DataUrl(model.Draw(style)), Picture(panel));
        Assert.Equal(DataUrl(seen), panel.Find("[data-testid=seen]").GetAttribute("src"));

        panel.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("not a picture", "notes.txt"));
        panel.WaitForAssertion(() => Assert.Contains("notes.txt: the file is not a picture; PNG, JPEG, GIF, BMP and WebP are accepted.",
            panel.Find("[data-testid=upload-error]").TextContent));
        Assert.Equal(DataUrl(model.Draw(style)), Picture(panel)); // the style shown stays as it was
    }
}

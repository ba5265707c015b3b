using System.IO.Compression;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using WebGen.Compute.Data;
using WebGen.WebApp.Explorers;

namespace WebGen.WebApp.Tests;

/// <summary>
/// An uploaded picture as an end of the interpolation, as the address carries it (<c>pa</c>, <c>pb</c>): served by the
/// real app to a fresh visitor, and every crafted value answered with a message, never an error.
/// </summary>
public sealed partial class ExplorePictureTests(ExploreFactory app) : IClassFixture<ExploreFactory>
{
    private async Task<string> PageAsync(string query)
    {
        using var client = app.CreateClient();
        var response = await client.GetAsync($"/explore?run={app.Vae.Id}&{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    private static string Picture(string html, string testId) =>
        Regex.Match(html, $"<img[^>]*src=\"(data:image/png;base64,[^\"]+)\"[^>]*data-testid=\"{testId}\"").Groups[1].Value is { Length: > 0 } src
            ? src : throw new Xunit.Sdk.XunitException($"no picture '{testId}' on the page");

    /// <summary>The explorers' test image <paramref name="index"/> (the split ordered by digit): its 784 bytes from MNIST's own file.</summary>
    private static byte[] MnistTestImage(int index)
    {
        var folder = Path.Combine(WebGenFactory.DataFolder(), "mnist");
        var labels = File.ReadAllBytes(Path.Combine(folder, "t10k-labels-idx1-ubyte"))[8..].Select(b => (long)b).ToArray();
        var row = Subsets.FirstOfEachDigit(labels, int.MaxValue)[index];
        using var file = File.OpenRead(Path.Combine(folder, "t10k-images-idx3-ubyte"));
        file.Seek(16 + (row * 784), SeekOrigin.Begin);
        var pixels = new byte[784];
        file.ReadExactly(pixels);
        return pixels;
    }

    private static string Deflated(byte[] bytes)
    {
        using var packed = new MemoryStream();
        using (var deflate = new DeflateStream(packed, CompressionLevel.Optimal))
            deflate.Write(bytes);
        return Base64UrlTextEncoder.Encode(packed.ToArray());
    }

    [Fact]
    public async Task APictureHoldingTestImage3sPixels_DrawsTheSameStripAsTestImage3()
    {
        var picture = new PictureInAddress(Digit: 0, MnistTestImage(3)).Text();

        var fromTheTestSet = Picture(await PageAsync("a=3&b=2000"), "strip");
        var fromThePicture = Picture(await PageAsync($"pa={picture}&b=2000"), "strip");

        Assert.Equal(fromTheTestSet, fromThePicture);
    }

    [Fact]
    public async Task APictureEnd_IsShownAsTheUsersPicture_AndACopiedAddressDrawsTheSameStrip()
    {
        var pixels = MnistTestImage(7).Select(v => (byte)(255 - v)).ToArray(); // unlike any test image
        var query = $"a=3&pb={new PictureInAddress(Digit: 4, pixels).Text()}";

        var first = await PageAsync(query);
        var second = await PageAsync(query);

        Assert.Matches("alt=\"your picture, a 4\"[^>]*data-testid=\"image-b\"", first);
        Assert.Equal(Picture(first, "strip"), Picture(second, "strip"));
    }

    [Theory]
    [InlineData("pa=3.not*base64", "pa '3.not*base64': accepted values are a digit, a dot and the picture")]
    [InlineData("pa=x.AAAA", "pa 'x.AAAA': accepted values are a digit, a dot and the picture")]
    [InlineData("pa=3.AAAA", "pa '3.AAAA': accepted values are a digit, a dot and the picture")]
    [InlineData("pa=", "pa '': accepted values are a digit, a dot and the picture")]
    public async Task AValueThatIsNoPicture_IsNamedWithWhatIsAccepted(string query, string message)
    {
        Assert.Contains(message, await PageAsync(query));
    }

    [Fact]
    public async Task APictureOfAnotherModelsSize_IsRefusedNamingTheSizeThisModelReads()
    {
        var colour = new PictureInAddress(Digit: 1, new byte[3 * 32 * 32]).Text();

        var html = await PageAsync($"pa={colour}");

        Assert.Contains("a has 3072 values; a VAE reads pictures of 784 (1 × 28 × 28).", html);
    }

    [Fact]
    public async Task AValueInflatingPastTheLargestPicture_IsRefused()
    {
        var bomb = "5." + Deflated(new byte[1_000_000]); // a megabyte of zeros deflates to about a kilobyte
        Assert.True(bomb.Length <= PictureInAddress.MaxLength);

        var html = await PageAsync($"pa={bomb}");

        Assert.Contains("accepted values are a digit, a dot and the picture", html);
    }

    [Fact]
    public async Task AFloodOfTextAsAPicture_IsRefusedWithoutEchoingIt()
    {
        var flood = "1." + new string('A', 6000);

        var html = await PageAsync($"pb={flood}");

        Assert.Contains($"pb '1.{new string('A', 38)}…': accepted values are", html);
        Assert.DoesNotContain(new string('A', 41), html);
    }
}

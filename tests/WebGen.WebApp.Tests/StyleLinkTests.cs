using WebGen.WebApp.Components.Styles;

namespace WebGen.WebApp.Tests;

/// <summary>The style explorer's z in a link: exact both ways, and a hostile or mistyped link named, never drawn.</summary>
public sealed class StyleLinkTests
{
    [Fact]
    public void AStyle_ReadsBackFromItsLink_BitForBit()
    {
        float[] z = [0.1f, -2.7182817f, 1e-7f, 3.4028e5f / 1e4f, -0f];

        var (read, error) = StyleLink.Parse(StyleLink.Format(z), z.Length);

        Assert.Null(error);
        Assert.Equal(z.Select(BitConverter.SingleToInt32Bits), read!.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData("1,2", "The link's z has 2 numbers; a link's z is 3 comma-separated numbers between −50 and 50")]
    [InlineData("1,abc,3", "The link's z[1] is \"abc\"; a link's z is 3")]
    [InlineData("1,NaN,3", "The link's z[1] is \"NaN\"")]
    [InlineData("1,Infinity,3", "The link's z[1] is \"Infinity\"")]
    [InlineData("1,2,1e30", "The link's z[2] is \"1e30\"")]
    [InlineData("1,,3", "The link's z[1] is \"\"")]
    public void AMalformedLink_IsRefusedNamingWhatIsWrongAndWhatIsAccepted(string text, string message)
    {
        var (read, error) = StyleLink.Parse(text, 3);

        Assert.Null(read);
        Assert.Contains(message, error);
    }

    [Fact]
    public void AHugeLink_IsRefusedBeforeItIsSplit()
    {
        var (read, error) = StyleLink.Parse(string.Join(',', Enumerable.Repeat("0", 1_000_000)), 64);

        Assert.Null(read);
        Assert.Contains("characters long; a link's z is 64 comma-separated numbers", error);
    }
}

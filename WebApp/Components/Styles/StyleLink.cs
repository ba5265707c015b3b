using System.Globalization;

namespace WebGen.WebApp.Components.Styles;

/// <summary>
/// The style explorer's z in its URL (?z=0.25,-1.5,…), written exactly (round-trip floats), so a copied link draws the
/// same picture on another screen.
/// </summary>
public static class StyleLink
{
    /// <summary>The longest z text read: 64 round-trip floats fit in about 900 characters.</summary>
    public const int MaxChars = 2048;

    /// <summary>The largest |z| read from a link: the prior is N(0, I), so ±50 is far beyond anything a slider reaches.</summary>
    public const float Bound = 50;

    public static string Format(IReadOnlyList<float> z) => string.Join(',', z.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>The z of a link for a model whose z has <paramref name="zDim"/> dimensions; the error names what is wrong and what is accepted.</summary>
    public static (float[]? Z, string? Error) Parse(string text, int zDim)
    {
        var accepted = $"a link's z is {zDim} comma-separated numbers between −{Bound} and {Bound}, one per dimension of this model's z";
        if (text.Length > MaxChars)
            return (null, $"The link's z is {text.Length:N0} characters long; {accepted}.");
        var parts = text.Split(',');
        if (parts.Length != zDim)
            return (null, $"The link's z has {parts.Length} number{(parts.Length == 1 ? "" : "s")}; {accepted}.");
        var z = new float[zDim];
        for (var i = 0; i < zDim; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out z[i]) || !float.IsFinite(z[i]) || Math.Abs(z[i]) > Bound)
                return (null, $"The link's z[{i}] is \"{Security.JsonBody.Cut(parts[i])}\"; {accepted}.");
        }
        return (z, null);
    }
}

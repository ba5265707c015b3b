using System.Globalization;
using WebGen.Shared;

namespace WebGen.WebApp.Components.Results;

/// <summary>
/// The text alternative of a model's 10×20 sample grid, the same on the run page and the review page: which model,
/// at which step, and what its rows and columns mean.
/// </summary>
public static class GridText
{
    /// <summary>"VAE samples at step 3,000: 10 rows × 20 columns of generated digits".</summary>
    public static string Alt(ModelKind model, int? step = null)
    {
        var at = step is { } s ? $" at step {s.ToString("N0", CultureInfo.InvariantCulture)}" : "";
        var layout = model is ModelKind.Ssvae or ModelKind.Fsvae
            ? "10 rows, the digits 0 to 9, × 20 columns, each column one style drawn for every digit"
            : "10 rows × 20 columns of generated digits";
        return $"{ModelNames.Title(model)} samples{at}: {layout}";
    }
}

namespace WebGen.Shared;

/// <summary>How messages name an amount of memory or disk: "350.0 MB", "2.0 GB".</summary>
public static class ByteSize
{
    public static string Describe(long bytes) => bytes >= 1L << 30
        ? FormattableString.Invariant($"{bytes / (double)(1L << 30):0.0} GB")
        : FormattableString.Invariant($"{bytes / (double)(1L << 20):0.0} MB");
}

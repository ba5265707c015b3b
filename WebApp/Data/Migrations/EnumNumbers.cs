namespace WebGen.WebApp.Data.Migrations;

/// <summary>
/// The enum values the database held as numbers before migration EnumsStoredAsNames, in their order of that time
/// (the value's number is its index): history, never to follow later changes of the enums.
/// </summary>
internal static class EnumNumbers
{
    public static readonly string[] Models = ["vae", "gmvae", "ssvae", "fsvae"];
    public static readonly string[] ReviewStatuses = ["Queued", "Evaluating", "Done", "Failed"];

    /// <summary>SQL of the name for the number <paramref name="number"/> (SQL text of a number or its digits); NULL for any other.</summary>
    public static string ToName(string number, string[] names) =>
        $"CASE {number} {string.Concat(names.Select((name, i) => $"WHEN '{i}' THEN '{name}' "))}END";

    /// <summary>SQL of the number (as digits) for the name <paramref name="name"/>.</summary>
    public static string ToNumber(string name, string[] names) =>
        $"CASE {name} {string.Concat(names.Select((n, i) => $"WHEN '{n}' THEN '{i}' "))}END";
}

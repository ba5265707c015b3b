using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebGen.Shared;

/// <summary>
/// The one JSON configuration of WebGen: run.json files, database columns, the API and the hub. Field names are
/// camelCase, enums are kebab-case names ("vae", "queued") so that reordering an enum never changes stored data,
/// and NaN is written as a literal (a single run has no standard error).
/// </summary>
public static class WebGenJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>The same, indented: files people read (run.json, reports).</summary>
    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    /// <summary>Applies the configuration to options a framework owns (ASP.NET Core's JSON, SignalR's protocol).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        return options;
    }
}

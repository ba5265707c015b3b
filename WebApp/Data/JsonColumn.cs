using System.Text.Json;
using WebGen.Shared;

namespace WebGen.WebApp.Data;

/// <summary>The values stored as JSON in a column (a run's options, metrics, accuracy curve; a review's metrics), written with <see cref="WebGenJson"/>.</summary>
public static class JsonColumn
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value, WebGenJson.Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, WebGenJson.Options)!;
}

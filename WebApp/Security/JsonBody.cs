using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Security;

/// <summary>
/// Reads the JSON object an API request sends, refusing with a 4xx JSON problem what the serializer would turn into a
/// 500 or silently accept: a body over <see cref="SecurityOptions.MaxJsonBodyBytes"/>, broken JSON, a field named
/// twice. Values echoed back in messages are cut to <see cref="EchoLength"/> characters.
/// </summary>
public static class JsonBody
{
    public const int EchoLength = 100;

    /// <summary>Nesting deeper than any WebGen body needs is refused before it costs stack.</summary>
    private const int MaxDepth = 16;

    public static string Cut(string value, int length = EchoLength) => value.Length <= length ? value : value[..length] + "…";

    public static string TooLarge(int maxBytes) =>
        $"The body is larger than the limit of {maxBytes:N0} bytes ({SecurityOptions.Section}:{nameof(SecurityOptions.MaxJsonBodyBytes)}); WebGen's JSON bodies are a few hundred bytes.";

    /// <summary>The body as a JSON object, or the problem to answer instead; <paramref name="example"/> says what is expected.</summary>
    public static async Task<(JsonObject? Body, IResult? Problem)> ReadObjectAsync(HttpRequest request, string example, CancellationToken cancellationToken)
    {
        var maxBytes = request.HttpContext.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.MaxJsonBodyBytes;
        var tooLarge = Results.Problem(TooLarge(maxBytes), statusCode: StatusCodes.Status413PayloadTooLarge);
        byte[] bytes;
        try
        {
            bytes = await ReadAtMostAsync(request.Body, maxBytes + 1, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, tooLarge);
        }
        if (bytes.Length > maxBytes)
            return (null, tooLarge);
        if (bytes.Length == 0)
            return (null, BadRequest($"The body is empty. {example}"));
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, BadRequest($"The body is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object. {example}"));
            if (Duplicate(document.RootElement, "") is { } twice)
                return (null, BadRequest($"The body names {Cut(twice)} twice; each field may appear once. {example}"));
            return (JsonNode.Parse(bytes, new JsonNodeOptions { PropertyNameCaseInsensitive = true })!.AsObject(), null);
        }
        catch (JsonException e)
        {
            return (null, BadRequest($"The body is not valid JSON ({Cut(e.Message, 200)}). {example}"));
        }
    }

    public static IResult BadRequest(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>The path of the first field an object names twice (ignoring case, as the binding does), or null.</summary>
    private static string? Duplicate(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Array)
            return element.EnumerateArray().Select((item, i) => Duplicate(item, $"{path}[{i}]")).FirstOrDefault(d => d is not null);
        if (element.ValueKind != JsonValueKind.Object)
            return null;
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            var at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            if (!names.Add(property.Name))
                return at;
            if (Duplicate(property.Value, at) is { } inner)
                return inner;
        }
        return null;
    }

    private static async Task<byte[]> ReadAtMostAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while (buffer.Length < limit && (read = await body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken)) > 0)
            buffer.Write(chunk, 0, read);
        return buffer.ToArray();
    }
}

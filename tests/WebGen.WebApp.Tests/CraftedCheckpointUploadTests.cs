using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace WebGen.WebApp.Tests;

/// <summary>Crafted checkpoint files uploaded for review: each a 400 problem naming the file, never a 500, and the server carries on.</summary>
public sealed class CraftedCheckpointUploadTests(WebGenFactory factory) : IClassFixture<WebGenFactory>
{
    private static readonly byte[] LegacyMagic = [0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, (byte)'.'];

    /// <summary>A zip-format checkpoint of the given entries, stored as torch.save stores them.</summary>
    private static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var memory = new MemoryStream();
        using (var archive = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
            {
                using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(bytes);
            }
        return memory.ToArray();
    }

    public static TheoryData<string, byte[]> Files() => new()
    {
        // PROTO 2, EMPTY_DICT, STOP: a well-formed state dict pickle, twice under two names.
        { "two-pickles.pt", Zip(("a/data.pkl", [0x80, 2, (byte)'}', (byte)'.']), ("b/data.pkl", [0x80, 2, (byte)'}', (byte)'.'])) },
        // A FLOAT literal that is no number.
        { "bad-float.pt", Zip(("archive/data.pkl", [0x80, 2, (byte)'}', (byte)'F', .. "x\n"u8, (byte)'.'])) },
        // A legacy file whose protocol-version pickle calls the number 1001.
        { "legacy-call.pt", [.. LegacyMagic, 0x80, 2, (byte)'M', 0xe9, 0x03, (byte)')', (byte)'R', (byte)'.'] },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task CraftedCheckpoint_IsA400ProblemNamingTheFile(string name, byte[] bytes)
    {
        using var client = factory.CreateClient();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var form = new MultipartFormDataContent { { file, "file", name }, { new StringContent("Mallory"), "student" }, { new StringContent("vae"), "model" } };

        var response = await client.PostAsync("/api/reviews", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
        Assert.StartsWith(name, detail);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }
}

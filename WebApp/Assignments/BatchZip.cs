using System.Buffers.Binary;
using System.IO.Compression;
using WebGen.Shared;

namespace WebGen.WebApp.Assignments;

/// <summary>
/// Reads an instructor's zip of checkpoints without trusting it: its entry count is read from the archive's end record
/// before the archive is opened, each entry is copied within its limit (whatever size it declares) into a numbered file
/// of the batch's own folder, never under its own name, and a name that is absolute or climbs out of the folder is
/// refused. Nothing in the zip is run or unpacked anywhere else.
/// </summary>
public static class BatchZip
{
    public const string EntriesFolder = "entries";
    public const int MaxName = 400;

    /// <summary>One file of the zip: its name in the zip, its size, and why it cannot be submitted (null when it was extracted).</summary>
    public sealed record Entry(int Index, string Name, long Bytes, string? Problem);

    /// <summary>The stored file of an entry that was extracted.</summary>
    public static string PathOf(string batchFolder, int index) => Path.Combine(batchFolder, EntriesFolder, $"{index:D5}.pt");

    /// <summary>
    /// Extracts <paramref name="zipPath"/>'s files into <paramref name="batchFolder"/>: each entry listed with its problem
    /// (an unsafe name, larger than <paramref name="maxEntryBytes"/>, unreadable), or an error for the whole zip (not a zip,
    /// empty, too many entries, more than <see cref="AssignmentOptions.MaxBatchExpandedBytes"/> in all).
    /// </summary>
    public static (IReadOnlyList<Entry> Entries, string? Error) Extract(
        string zipPath, string batchFolder, long maxEntryBytes, AssignmentOptions limits, CancellationToken cancellationToken)
    {
        using var stream = File.OpenRead(zipPath);
        var (count, error) = EntryCount(stream);
        if (error is not null)
            return ([], error);
        if (count > limits.MaxBatchEntries)
            return ([], $"The zip has {count} entries; a batch holds at most {limits.MaxBatchEntries} (WebGen:Assignments:MaxBatchEntries).");
        ZipArchive archive;
        try
        {
            stream.Position = 0;
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            _ = archive.Entries.Count;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or NotSupportedException)
        {
            return ([], $"The file is not a readable zip ({e.Message}); upload the zip of checkpoints your course's system exported.");
        }
        using (archive)
        {
            var files = archive.Entries.Select((e, i) => (Entry: e, Index: i)).Where(e => !e.Entry.FullName.EndsWith('/')).ToList();
            if (files.Count == 0)
                return ([], "The zip holds no files; upload the zip of checkpoints your course's system exported.");
            var expandTooFar = $"The zip expands to more than {ByteSize.Describe(limits.MaxBatchExpandedBytes)} (WebGen:Assignments:MaxBatchExpandedBytes); " +
                $"a class's checkpoints take 3 to 5 MB each. Split the batch.";
            if (files.Sum(f => Math.Max(0, f.Entry.Length)) > limits.MaxBatchExpandedBytes)
                return ([], expandTooFar);
            Directory.CreateDirectory(Path.Combine(batchFolder, EntriesFolder));
            var entries = new List<Entry>();
            long expanded = 0;
            foreach (var (entry, index) in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = Shown(entry.FullName);
                if (UnsafeName(entry.FullName) is { } unsafeName)
                {
                    entries.Add(new Entry(index, name, entry.Length, unsafeName));
                    continue;
                }
                if (entry.Length > maxEntryBytes)
                {
                    entries.Add(new Entry(index, name, entry.Length, TooLarge(entry.Length, maxEntryBytes)));
                    continue;
                }
                var (bytes, problem) = Copy(entry, PathOf(batchFolder, index), maxEntryBytes, cancellationToken);
                expanded += bytes;
                if (expanded > limits.MaxBatchExpandedBytes)
                    return ([], expandTooFar); // an entry's header understated its size
                entries.Add(new Entry(index, name, bytes, problem));
            }
            return (entries, null);
        }
    }

    /// <summary>
    /// The number of entries the zip's end-of-central-directory record gives, read before the archive is opened so that a
    /// directory of millions of empty entries is refused without listing them (a ZIP64 count reads as "too many").
    /// </summary>
    private static (int Count, string? Error) EntryCount(FileStream stream)
    {
        const int EndRecord = 22;
        var notZip = "The file is not a zip; upload the zip of checkpoints your course's system exported (one file or folder per student).";
        if (stream.Length < EndRecord)
            return (0, notZip);
        var tail = new byte[(int)Math.Min(stream.Length, EndRecord + ushort.MaxValue)];
        stream.Position = stream.Length - tail.Length;
        stream.ReadExactly(tail);
        for (var at = tail.Length - EndRecord; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) != 0x06054b50)
                continue;
            int count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(at + 10));
            if (count == 0)
                return (0, "The zip is empty; upload the zip of checkpoints your course's system exported.");
            return (count == ushort.MaxValue ? int.MaxValue : count, null);
        }
        return (0, notZip);
    }

    /// <summary>Why a name is refused: absolute, with a drive, climbing out with "..", or with control characters.</summary>
    private static string? UnsafeName(string name)
    {
        var segments = name.Replace('\\', '/').Split('/');
        if (name.StartsWith('/') || name.StartsWith('\\') || name.Contains(':') || segments.Any(s => s == ".."))
            return "unsafe name: an absolute path or one that climbs out of the zip's folder (\"..\"); not extracted.";
        if (name.Any(char.IsControl) || name.Length > MaxName)
            return $"unsafe name: control characters or longer than {MaxName} characters; not extracted.";
        return null;
    }

    private static string TooLarge(long bytes, long limit) =>
        $"too large: {ByteSize.Describe(bytes)}; a checkpoint is accepted up to {ByteSize.Describe(limit)} (WebGen:MaxUploadBytes).";

    /// <summary>The entry's bytes into <paramref name="path"/>, stopping one byte past the limit whatever the entry declares.</summary>
    private static (long Bytes, string? Problem) Copy(ZipArchiveEntry entry, string path, long limit, CancellationToken cancellationToken)
    {
        long total = 0;
        try
        {
            using (var source = entry.Open())
            using (var target = File.Create(path))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = source.Read(buffer)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    total += read;
                    if (total > limit)
                        break;
                    target.Write(buffer, 0, read);
                }
            }
            if (total <= limit)
                return (total, null);
            File.Delete(path);
            return (limit, TooLarge(total, limit) + " Its header claimed less.");
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException && !cancellationToken.IsCancellationRequested)
        {
            File.Delete(path);
            return (total, $"could not be read from the zip ({e.Message}).");
        }
    }

    /// <summary>An entry's name as the preview shows it: cut, so a crafted name cannot fill the page.</summary>
    private static string Shown(string name) => name.Length > MaxName ? name[..MaxName] + "…" : name;
}

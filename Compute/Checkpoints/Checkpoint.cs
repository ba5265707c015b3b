using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using WebGen.Compute.Models;
using WebGen.Shared;

namespace WebGen.Compute.Checkpoints;

/// <summary>
/// The run folder's checkpoints on disk: TorchSharp weights in <c>model-{step:05d}.pt</c> and the run's
/// hyperparameters in <c>run.json</c> beside them, so a checkpoint can be evaluated without remembering how it was
/// trained (<see cref="ModelCheckpoint"/> reads them back).
/// </summary>
public static class Checkpoint
{
    public const string OptionsFile = "run.json";

    /// <summary>Adam's moments at the latest checkpoint, so an interrupted run resumes where it was.</summary>
    public const string OptimizerFile = "optimizer.pt";

    public static string FileName(int step) => $"model-{step:D5}.pt";

    public static string Save(GenerativeModel model, OptimizerHelper optimizer, TrainingOptions options, string runDir, int step)
    {
        Directory.CreateDirectory(runDir);
        File.WriteAllText(Path.Combine(runDir, OptionsFile), JsonSerializer.Serialize(options, WebGenJson.Indented));
        var path = Path.Combine(runDir, FileName(step));
        // Written aside and moved in place: a crash mid-save never leaves a truncated file. The optimizer goes
        // first, so the newest model file always has optimizer state at least as new beside it.
        AtomicWrite(Path.Combine(runDir, OptimizerFile), optimizer.save_state_dict);
        AtomicWrite(path, file => model.save(file));
        RemoveSuperseded(runDir);
        return path;
    }

    /// <summary>The homework evaluates checkpoints every 10,000 steps; those are kept when newer ones are saved.</summary>
    public const int KeptEvery = 10_000;

    /// <summary>
    /// Removes the run folder's checkpoints that a newer one supersedes: all but the newest and the homework's
    /// 10,000-step ones, so saving often (checkpointEvery: 1) keeps a few files, not one per step.
    /// </summary>
    public static void RemoveSuperseded(string runDir)
    {
        var saved = Saved(runDir);
        if (saved.Count == 0)
            return;
        var newest = saved.Max(c => c.Step);
        foreach (var (path, step) in saved)
            if (step != newest && step % KeptEvery != 0)
                File.Delete(path);
    }

    /// <summary>The newest checkpoint of a run folder and its step, or null when there is none.</summary>
    public static (string Path, int Step)? Latest(string runDir)
    {
        var saved = Saved(runDir);
        return saved.Count == 0 ? null : saved.MaxBy(c => c.Step);
    }

    /// <summary>Every model-{step}.pt of a run folder with its step.</summary>
    private static List<(string Path, int Step)> Saved(string runDir) =>
        !Directory.Exists(runDir) ? []
        : [.. Directory.EnumerateFiles(runDir, "model-*.pt")
            .Select(path => (Path: path, Digits: Path.GetFileNameWithoutExtension(path)["model-".Length..]))
            .Where(c => c.Digits.Length > 0 && c.Digits.All(char.IsAsciiDigit))
            .Select(c => (c.Path, Parsed: int.TryParse(c.Digits, System.Globalization.CultureInfo.InvariantCulture, out var step), Step: step))
            .Where(c => c.Parsed)
            .Select(c => (c.Path, c.Step))];

    /// <summary>Where the hyperparameters of the checkpoint at <paramref name="checkpoint"/> are: run.json beside it.</summary>
    public static string OptionsPath(string checkpoint) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, OptionsFile);

    /// <summary>A run.json as <see cref="Save"/> writes it; null when the file holds no settings.</summary>
    public static TrainingOptions? ReadOptions(string optionsPath) =>
        JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(optionsPath), WebGenJson.Indented);

    private static void AtomicWrite(string path, Action<string> write)
    {
        var temporary = path + ".partial";
        write(temporary);
        File.Move(temporary, path, overwrite: true);
    }
}

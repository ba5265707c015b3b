using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using WebGen.Compute.Models;
using WebGen.Shared;

namespace WebGen.Compute.Checkpoints;

/// <summary>
/// The run folder's checkpoints on disk: TorchSharp weights in <c>model-{step:05d}.pt</c>, what the next step
/// depends on besides them in <c>training-{step:05d}.bin</c> (<see cref="TrainingState"/>), and the run's
/// hyperparameters in <c>run.json</c> beside them, so a checkpoint can be evaluated without remembering how it was
/// trained (<see cref="ModelCheckpoint"/> reads them back) and a run resumed exactly.
/// </summary>
public static class Checkpoint
{
    public const string OptionsFile = "run.json";

    /// <summary>Adam's moments as runs saved them before <see cref="TrainingState"/>; such a run resumes with them, not exactly.</summary>
    public const string OptimizerFile = "optimizer.pt";

    public static string FileName(int step) => $"model-{step:D5}.pt";

    public static string TrainingStateFileName(int step) => $"training-{step:D5}.bin";

    /// <summary>Saves the model at <paramref name="step"/>, and the run's <paramref name="state"/> there when it has one.</summary>
    /// <param name="record">
    /// Where else the run keeps its newest checkpoint (<see cref="CheckpointRecord"/>): the checkpoints this one
    /// supersedes are removed only once it says it recorded this one, so the recorded one is always on disk.
    /// </param>
    public static string Save(GenerativeModel model, TrainingOptions options, string runDir, int step, TrainingState? state = null,
        Func<SavedCheckpoint, bool>? record = null)
    {
        Directory.CreateDirectory(runDir);
        File.WriteAllText(Path.Combine(runDir, OptionsFile), JsonSerializer.Serialize(options, WebGenJson.Indented));
        var path = Path.Combine(runDir, FileName(step));
        // Written aside and moved in place: a crash mid-save never leaves a truncated file. The training state goes
        // first, so the newest model file always has its own beside it.
        if (state is not null)
            AtomicWrite(Path.Combine(runDir, TrainingStateFileName(step)), state.Write);
        AtomicWrite(path, file => model.save(file));
        if (record is null || record(new SavedCheckpoint(step, path)))
            RemoveSuperseded(runDir);
        return path;
    }

    /// <summary>
    /// The training state saved with the checkpoint of <paramref name="step"/>, checked against the run's
    /// <paramref name="shape"/>; null when that checkpoint has none (saved before training states were).
    /// </summary>
    /// <exception cref="InvalidCheckpointException">The file is there but is not this checkpoint's state.</exception>
    public static TrainingState? ReadTrainingState(string runDir, int step, TrainingState.Shape shape)
    {
        var path = Path.Combine(runDir, TrainingStateFileName(step));
        return File.Exists(path) ? TrainingState.Read(path, step, shape) : null;
    }

    /// <summary>The homework evaluates checkpoints every 10,000 steps; those are kept when newer ones are saved.</summary>
    public const int KeptEvery = 10_000;

    /// <summary>
    /// Removes the run folder's checkpoints that a newer one supersedes: all but the newest and the homework's
    /// 10,000-step ones, so saving often (checkpointEvery: 1) keeps a few files, not one per step. Only the newest
    /// keeps its training state: a run resumes from there.
    /// </summary>
    public static void RemoveSuperseded(string runDir)
    {
        var saved = Saved(runDir);
        if (saved.Count == 0)
            return;
        var newest = saved.Max(c => c.Step);
        foreach (var (path, step) in saved)
        {
            if (step == newest)
                continue;
            if (step % KeptEvery != 0)
                File.Delete(path);
            File.Delete(Path.Combine(runDir, TrainingStateFileName(step)));
        }
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

/// <summary>A checkpoint on disk: its step and its model file (its training state is beside it).</summary>
public sealed record SavedCheckpoint(int Step, string Path);

/// <summary>
/// A run whose newest checkpoint is recorded somewhere other than its folder (the web app's database, read by whichever
/// host resumes it): the run resumes from <paramref name="Recorded"/> (from the start when null), never from a listing
/// of its folder, and each checkpoint it saves is offered to <paramref name="Record"/>, which says whether it was
/// recorded (<see cref="Checkpoint.Save"/> removes the superseded ones only then).
/// </summary>
public sealed record CheckpointRecord(SavedCheckpoint? Recorded, Func<SavedCheckpoint, bool> Record);

using WebGen.Compute.Checkpoints;
using WebGen.Compute.Models;
using WebGen.Compute.Training;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Tests;

/// <summary>
/// A run whose checkpoints are recorded elsewhere (the web app's database): it resumes from the recorded one, not from
/// a listing of its folder, and the checkpoint the record names is never removed from under it.
/// </summary>
public sealed class CheckpointRecordTests : IDisposable
{
    private readonly string runDir = Directory.CreateTempSubdirectory("webgen-record-").FullName;

    public void Dispose() => Directory.Delete(runDir, recursive: true);

    private static readonly TrainingOptions Options = new() { Iterations = 6, CheckpointEvery = 2, Device = "cpu", BatchSize = 10 };

    private static TrainingData Data() => new(TestData.Train.Images.narrow(0, 0, 50), TestData.Train.OneHotLabels().narrow(0, 0, 50));

    private List<int> Files() =>
        [.. Directory.EnumerateFiles(runDir, "model-*.pt").Select(f => int.Parse(Path.GetFileNameWithoutExtension(f)["model-".Length..])).Order()];

    private void Train(CheckpointRecord record, IProgress<TrainingProgress>? progress = null)
    {
        manual_seed(1);
        using var model = ModelFactory.Create(Options);
        Trainer.Train(model, Data(), Options, runDir, progress, checkpoints: record);
    }

    [Fact]
    public void TheCheckpointsASaveSupersedes_AreRemovedOnlyOnceItIsRecorded()
    {
        var onDisk = new Dictionary<int, List<int>>();
        Train(new CheckpointRecord(null, saved =>
        {
            onDisk[saved.Step] = Files();
            return saved.Step != 4; // the store was away when step 4's was saved
        }));

        Assert.Equal(new[] { 2, 4, 6 }, onDisk.Keys);
        Assert.Equal([2, 4], onDisk[4]); // 2, the recorded one, stays while 4 is not recorded
        Assert.Equal([2, 4, 6], onDisk[6]);
        Assert.Equal([6], Files());
    }

    [Fact]
    public void ARunWithARecordedCheckpoint_ResumesFromIt_NotFromTheNewestFileInItsFolder()
    {
        SavedCheckpoint? recorded = null;
        Train(new CheckpointRecord(null, saved =>
        {
            if (saved.Step == 4) recorded = saved;
            return saved.Step < 6; // the worker lost the run before step 6's was recorded
        }));
        Assert.Equal([4, 6], Files());

        var reports = new List<int>();
        var recordedAgain = new List<int>();
        Train(new CheckpointRecord(recorded, saved => { recordedAgain.Add(saved.Step); return true; }), new SynchronousProgress(p => reports.Add(p.Step)));

        // Steps 5 and 6 trained again from the recorded step 4 (from the newest file, step 6, nothing would be).
        Assert.Equal([6], reports);
        Assert.Equal([6], recordedAgain);
    }
}

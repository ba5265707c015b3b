using WebGen.Compute.Data;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Training;

/// <summary>
/// SVHN, as <c>run_fsvae.py</c> uses it: the FSVAE trains on the extra split (train when extra is absent) and,
/// when the test split is present, is judged by its bound on a fixed test subset.
/// </summary>
public sealed class SvhnDataSet : DataSet
{
    /// <summary>
    /// The test subset: the first 10 images of each digit in file order, 100 in all. The reference reports no
    /// SVHN numbers, so this only compares our own runs; 100 balanced images, averaged over 100 calls, mirror the
    /// MNIST protocol's size and cost (a second on a CPU) without an index table nobody published.
    /// </summary>
    public const int TestPerDigit = 10;

    public override string Name => "SVHN";

    public override string FolderName => "svhn";

    /// <summary>
    /// Pixels stay bytes on the device (1.6 GB for extra); the trainer turns each batch into byte/255. The split is
    /// not disposed here: on the CPU its pixels are the training data's.
    /// </summary>
    public override TrainingData LoadTraining(TrainingOptions options, string dataRoot, Device device)
    {
        var train = Data.Svhn.Load(Data.Svhn.TrainingFile(Folder(dataRoot)));
        return new TrainingData(train.Pixels.to(device), train.OneHotLabels().to(device));
    }

    public override RunMetrics Evaluate(GenerativeModel model, string dataRoot, Device device, CancellationToken cancellationToken = default)
    {
        if (model is not Fsvae fsvae)
            throw new NotSupportedException($"{model.GetType().Name} has no SVHN evaluation; only the FSVAE trains on SVHN.");
        using var scope = NewDisposeScope();
        if (TestImages(dataRoot, TestPerDigit) is not { } test)
            return new RunMetrics(null, null);
        var y = nn.functional.one_hot(tensor(test.Labels), 10).to(ScalarType.Float32);
        return new RunMetrics(Evaluator.EvaluateConditionalBound(fsvae, test.Images.to(device), y.to(device), cancellationToken), null);
    }

    public override DigitImages? TestImages(string dataRoot, int perDigit)
    {
        var testFile = Path.Combine(Folder(dataRoot), Data.Svhn.TestFile);
        if (!File.Exists(testFile)) return null;
        using var test = Data.Svhn.Load(testFile);
        var rows = test.FirstOfEachDigit(perDigit);
        return new DigitImages(test.Images(rows), [.. rows.Select(r => test.Labels[r])], $"{Name} test images");
    }

    /// <summary>SVHN test images: the training splits are too large to read for a few hundred styles.</summary>
    public override DigitImages? StyleImages(string dataRoot, int perDigit) => TestImages(dataRoot, perDigit);
}

using TorchSharp;
using WebGen.Compute.Data;
using WebGen.Compute.Evaluation;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Training;

/// <summary>
/// MNIST, as the homework uses it: the 60,000 training images (the SSVAE adds its 100 labelled ones), the VAE and
/// GMVAE judged by their bounds on the binarised test subset, the SSVAE by its accuracy on all 10,000 test images.
/// </summary>
public sealed class MnistDataSet : DataSet
{
    public override string Name => "MNIST";

    public override string FolderName => "mnist";

    public override TrainingData LoadTraining(TrainingOptions options, string dataRoot, Device device) =>
        TrainingDataFor(options, Data.Mnist.LoadTrain(Folder(dataRoot), device));

    /// <summary>The training split as the model trains on it; the SSVAE adds its 100 labelled images.</summary>
    public static TrainingData TrainingDataFor(TrainingOptions options, MnistSplit train)
    {
        var data = new TrainingData(train.Images, train.OneHotLabels());
        if (options.Model != ModelKind.Ssvae)
            return data;
        // The subset table lists ten positions per digit, digit by digit.
        var labels = nn.functional.one_hot(OwnedScalars.Range(10, train.Images.device).repeat_interleave(10), 10);
        return data with { LabelledImages = train.SelectByLabel(Subsets.TrainIdx), LabelledLabels = labels.to(train.Images.dtype) };
    }

    /// <summary>VAE and GMVAE: the lower bounds on the test subset; SSVAE: accuracy on all 10,000 test images.</summary>
    public override RunMetrics Evaluate(GenerativeModel model, string dataRoot, Device device, CancellationToken cancellationToken = default)
    {
        using var test = Data.Mnist.LoadTest(Folder(dataRoot), device);
        return model switch
        {
            LatentVariableModel bounded => new RunMetrics(EvaluateSubset(bounded, test, cancellationToken), null),
            Ssvae ssvae => new RunMetrics(null, Evaluator.ClassificationAccuracy(ssvae, test.Images, test.LabelTensor)),
            _ => throw new NotSupportedException($"{model.GetType().Name} has no MNIST evaluation."),
        };
    }

    private static EvaluationResult EvaluateSubset(LatentVariableModel model, MnistSplit test, CancellationToken cancellationToken)
    {
        using var subset = test.SelectByLabel(Subsets.TestIdx);
        return Evaluator.EvaluateLowerBound(model, subset, cancellationToken);
    }

    /// <summary>The protocol's test subset (100 images per digit, not yet binarised) on <paramref name="device"/>.</summary>
    public Tensor TestSubset(string dataRoot, Device device)
    {
        using var test = Data.Mnist.LoadTest(Folder(dataRoot), device);
        return test.SelectByLabel(Subsets.TestIdx);
    }

    public override Func<double>? TestAccuracy(GenerativeModel model, string dataRoot, Device device)
    {
        if (model is not Ssvae ssvae)
            return null;
        var test = Data.Mnist.LoadTest(Folder(dataRoot), device);
        return () =>
        {
            var accuracy = Evaluator.ClassificationAccuracy(ssvae, test.Images, test.LabelTensor);
            ssvae.train(); // the evaluator switched it to eval mode; training goes on
            return accuracy;
        };
    }

    public override DigitImages? TestImages(string dataRoot, int perDigit) => FirstOfEachDigit(dataRoot, training: false, perDigit);

    /// <summary>MNIST training images: the styles the model learnt from.</summary>
    public override DigitImages? StyleImages(string dataRoot, int perDigit) => FirstOfEachDigit(dataRoot, training: true, perDigit);

    private DigitImages? FirstOfEachDigit(string dataRoot, bool training, int perDigit)
    {
        var folder = Folder(dataRoot);
        if (!File.Exists(Path.Combine(folder, Data.Mnist.FileNames[training ? 0 : 2]))) return null;
        using var split = training ? Data.Mnist.LoadTrain(folder, CPU) : Data.Mnist.LoadTest(folder, CPU);
        var picked = Subsets.FirstOfEachDigit(split.Labels, perDigit);
        return new DigitImages(split.Images.index_select(0, tensor(picked)), [.. picked.Select(r => split.Labels[r])],
            $"{Name} {(training ? "training" : "test")} images");
    }
}

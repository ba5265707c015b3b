using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Training;

/// <summary>Images of each digit with their labels, on the CPU, and what they are ("MNIST training images").</summary>
public sealed record DigitImages(Tensor Images, long[] Labels, string Source);

/// <summary>
/// The data a model trains and is judged on, chosen by the model: MNIST for the VAE, GMVAE and SSVAE, SVHN for the
/// FSVAE. Each owns its folder under the data root, its training data, its evaluation and the test images it
/// offers, so no caller chooses between them. Tensors it returns belong to the caller's dispose scope.
/// </summary>
public abstract class DataSet
{
    public static MnistDataSet Mnist { get; } = new();
    public static SvhnDataSet Svhn { get; } = new();

    public static DataSet For(ModelKind model) => model == ModelKind.Fsvae ? Svhn : Mnist;

    /// <summary>"MNIST", "SVHN".</summary>
    public abstract string Name { get; }

    public static IReadOnlyList<DataSet> All { get; } = [Mnist, Svhn];

    /// <summary>Its folder under the data root, also how the command line names it (data mnist, data svhn).</summary>
    public abstract string FolderName { get; }

    public string Folder(string dataRoot) => Path.Combine(dataRoot, FolderName);

    /// <summary>The training split as the model trains on it, on <paramref name="device"/>; a missing file is named first.</summary>
    public abstract TrainingData LoadTraining(TrainingOptions options, string dataRoot, Device device);

    /// <summary>The protocol's numbers for a trained model.</summary>
    public abstract RunMetrics Evaluate(GenerativeModel model, string dataRoot, Device device, CancellationToken cancellationToken = default);

    /// <summary>
    /// A live test measure for the previews of a model judged by its classifier (the SSVAE's accuracy), reading a
    /// test split it loads now; null for the others.
    /// </summary>
    public virtual Func<double>? TestAccuracy(GenerativeModel model, string dataRoot, Device device) => null;

    /// <summary>Up to <paramref name="perDigit"/> test images of each digit, in file order; null when the test split is absent.</summary>
    public abstract DigitImages? TestImages(string dataRoot, int perDigit);

    /// <summary>Up to <paramref name="perDigit"/> images of each digit that a style space is described from; null when absent.</summary>
    public abstract DigitImages? StyleImages(string dataRoot, int perDigit);
}

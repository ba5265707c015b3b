using TorchSharp;
using WebGen.Compute.Models;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute.Checkpoints;

/// <summary>A state dict whose names or shapes do not fit the model asked for; <see cref="Problems"/> lists each.</summary>
public sealed class CheckpointMismatchException(string message, IReadOnlyList<string> problems) : InvalidCheckpointException(message)
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>A model built from a checkpoint file, the settings read from it, and the format the file was in.</summary>
public sealed record LoadedModel(GenerativeModel Model, TrainingOptions Options, CheckpointFormat Format) : IDisposable
{
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The one checkpoint loader: builds a model from a checkpoint of any format. A WebGen checkpoint (<see
/// cref="Checkpoint"/>) with its run's <c>run.json</c> beside it gives any model, the FSVAE included; a file without
/// one (a PyTorch state dict of the homework's code, with protocol.md's names: <c>enc.net.{0,2,4}.*</c>,
/// <c>dec.net.*</c>, <c>cls.net.*</c>, <c>z_pre</c>, <c>pi</c>, <c>z_prior_m</c>, <c>z_prior_v</c>) gives a VAE,
/// GMVAE or SSVAE whose z_dim (and the GMVAE's k) are read from the shapes. Our modules carry exactly those names, so
/// the mapping is one to one; every name and shape is checked before any tensor is allocated, all mismatches
/// reported together.
/// </summary>
public static class ModelCheckpoint
{
    /// <summary>The models a checkpoint without run.json (a homework state dict, an upload) can be read as.</summary>
    public static readonly ModelKind[] Kinds = [ModelKind.Vae, ModelKind.Gmvae, ModelKind.Ssvae];

    /// <summary>
    /// A checkpoint file on disk. A WebGen checkpoint with its <c>run.json</c> beside it takes its settings from
    /// there (and must be of <paramref name="kind"/>); any other file has them read from its shapes, within <paramref name="limits"/>.
    /// </summary>
    public static LoadedModel Load(string path, ModelKind kind, Device device, string? what = null, CheckpointLimits? limits = null)
    {
        what ??= path;
        if (!File.Exists(path))
            throw new FileNotFoundException($"no checkpoint at {path}.", path);
        var file = File.ReadAllBytes(path);
        TrainingOptions? options = null;
        var optionsPath = Checkpoint.OptionsPath(path);
        if (StateDict.FormatOf(file) == CheckpointFormat.WebGen && File.Exists(optionsPath))
        {
            options = Checkpoint.ReadOptions(optionsPath) ?? throw new InvalidCheckpointException($"{optionsPath} is empty.");
            if (options.Model != kind)
                throw new InvalidCheckpointException(
                    $"{what} is {ModelNames.WithArticle(options.Model)} checkpoint (says {Checkpoint.OptionsFile}), not {ModelNames.WithArticle(kind)} one.");
        }
        return Load(file, kind, device, what, options, limits ?? CheckpointLimits.Default);
    }

    /// <summary>An uploaded checkpoint, refused when over <paramref name="maxBytes"/>.</summary>
    public static LoadedModel Load(Stream stream, ModelKind kind, Device device, long maxBytes, string what = "the checkpoint", CheckpointLimits? limits = null) =>
        Load(StateDict.ReadAllBytes(stream, maxBytes, what), kind, device, what, limits);

    /// <summary>A checkpoint file already in memory, of any format; its settings are read from its shapes, within <paramref name="limits"/>.</summary>
    public static LoadedModel Load(byte[] file, ModelKind kind, Device device, string what, CheckpointLimits? limits = null) =>
        Load(file, kind, device, what, options: null, limits ?? CheckpointLimits.Default);

    /// <summary>
    /// The model of <paramref name="kind"/> that <paramref name="file"/> describes, its weights copied in. The model
    /// is built from <paramref name="options"/> (or the settings its declared shapes give) and every name and shape
    /// compared before any of the file's tensors is allocated.
    /// </summary>
    private static LoadedModel Load(byte[] file, ModelKind kind, Device device, string what, TrainingOptions? options, CheckpointLimits limits)
    {
        if (options is null && !Kinds.Contains(kind))
            throw new InvalidCheckpointException(
                $"{what}: {ModelNames.WithArticle(kind)} is read from a WebGen checkpoint with its {Checkpoint.OptionsFile} beside it; " +
                $"a checkpoint alone is read for {string.Join(", ", Kinds.Select(ModelNames.Title))}.");
        GenerativeModel? model = null;
        try
        {
            using var stateDict = StateDict.Read(file, what, shapes =>
            {
                options ??= Infer(kind, shapes, limits, what);
                model = ModelFactory.Create(options);
                var problems = Compare(model.state_dict(), shapes, Describe(options));
                if (problems.Count > 0)
                {
                    var hint = Recognise(shapes.Keys) is { } other && other != kind ? $" It looks like {ModelNames.WithArticle(other)} checkpoint." : "";
                    throw new CheckpointMismatchException(
                        $"{what} does not fit {ModelNames.Article(kind)} {Describe(options)}: {string.Join("; ", problems)}.{hint}", problems);
                }
            });
            // Read would have refused the file before it returned had the check not run.
            var (built, settings) = (model!, options!);
            var parameters = built.state_dict();
            if (parameters.Keys.FirstOrDefault(n => !stateDict.Tensors[n].is_floating_point()) is { } integral)
            {
                var problem = $"{integral}: file has {stateDict.Tensors[integral].dtype} values, {Describe(settings)} needs floating-point ones";
                throw new CheckpointMismatchException($"{what} does not fit {ModelNames.Article(kind)} {Describe(settings)}: {problem}.", [problem]);
            }
            using (no_grad())
                foreach (var (parameterName, parameter) in parameters)
                    parameter.copy_(stateDict.Tensors[parameterName]);
            built.to(device);
            return new LoadedModel(built, settings, stateDict.Format);
        }
        catch
        {
            model?.Dispose();
            throw;
        }
    }

    /// <summary>Which homework model a state dict's names belong to: a classifier means SSVAE, a z_pre GMVAE.</summary>
    public static ModelKind? Recognise(IEnumerable<string> names)
    {
        var all = names.ToList();
        if (!all.Any(n => n.StartsWith("enc.net.", StringComparison.Ordinal)))
            return null;
        return all.Any(n => n.StartsWith("cls.net.", StringComparison.Ordinal)) ? ModelKind.Ssvae
            : all.Contains("z_pre") ? ModelKind.Gmvae
            : ModelKind.Vae;
    }

    /// <summary>"VAE z=10", "GMVAE z=10 k=500", "SSVAE z=64": the settings that fix the shapes.</summary>
    public static string Describe(TrainingOptions options) => options.Model switch
    {
        ModelKind.Gmvae => $"GMVAE z={options.ZDim} k={options.K}",
        _ => $"{ModelNames.Title(options.Model)} z={options.ZDim}",
    };


    /// <summary>
    /// z_dim from the decoder's input (less the SSVAE's one-hot y) or the encoder's output; k from z_pre. Settings
    /// above <paramref name="limits"/> are refused before a model of that size is built; those below one keep the
    /// defaults, and the shape check then names the tensors that disagree.
    /// </summary>
    private static TrainingOptions Infer(ModelKind kind, IReadOnlyDictionary<string, long[]> shapes, CheckpointLimits limits, string what)
    {
        var defaults = TrainingOptions.For(kind);
        long? Size(string name, int axis) => shapes.TryGetValue(name, out var shape) && shape.Length > axis ? shape[axis] : null;
        var yDim = kind == ModelKind.Ssvae ? Ssvae.YDim : 0;
        var z = Size("dec.net.0.weight", 1) - yDim ?? Size("enc.net.4.weight", 0) / 2;
        var k = kind == ModelKind.Gmvae ? Size("z_pre", 1) / 2 ?? Size("pi", 0) : null;
        if (z > limits.MaxZ || k > limits.MaxK)
            throw new InvalidCheckpointException(
                $"{what}: its shapes describe {ModelNames.WithArticle(kind)} with z = {z}{(k is null ? "" : $", k = {k}")}; accepted are z from 1 to {limits.MaxZ}" +
                (kind == ModelKind.Gmvae ? $" and k from 1 to {limits.MaxK}." : "."));
        return defaults with
        {
            ZDim = z is >= 1 ? (int)z : defaults.ZDim,
            K = k is >= 1 ? (int)k : defaults.K,
            Device = "cpu",
        };
    }

    private static List<string> Compare(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, long[]> file, string model)
    {
        var problems = new List<string>();
        foreach (var (name, parameter) in expected)
        {
            if (!file.TryGetValue(name, out var given))
                problems.Add($"missing {name} ({StateDict.Shape(parameter.shape)})");
            else if (!given.SequenceEqual(parameter.shape))
                problems.Add($"{name}: file has {StateDict.Shape(given)}, {model} needs {StateDict.Shape(parameter.shape)}");
        }
        foreach (var (name, given) in file)
            if (!expected.ContainsKey(name))
                problems.Add($"unexpected {StateDict.Printable(name)} ({StateDict.Shape(given)})");
        return problems;
    }
}

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
/// Builds a VAE, GMVAE or SSVAE from a checkpoint of any format: a PyTorch state dict of the homework's code
/// (protocol.md's names: <c>enc.net.{0,2,4}.*</c>, <c>dec.net.*</c>, <c>cls.net.*</c>, <c>z_pre</c>, <c>pi</c>,
/// <c>z_prior_m</c>, <c>z_prior_v</c>) or a WebGen checkpoint. Our modules carry exactly those names, so the mapping
/// is one to one; z_dim (and the GMVAE's k) are read from the shapes, and every name and shape is checked, all
/// mismatches reported together.
/// </summary>
public static class ModelCheckpoint
{
    public static readonly ModelKind[] Kinds = [ModelKind.Vae, ModelKind.Gmvae, ModelKind.Ssvae];

    /// <summary>
    /// A checkpoint file on disk. A WebGen checkpoint with its <c>run.json</c> beside it takes its settings from
    /// there (and must be of <paramref name="kind"/>); any other file has them read from its shapes.
    /// </summary>
    public static LoadedModel Load(string path, ModelKind kind, Device device, string? what = null)
    {
        what ??= path;
        if (!File.Exists(path))
            throw new FileNotFoundException($"{what}: no such file.", path);
        using var stateDict = StateDict.Read(File.ReadAllBytes(path), what);
        TrainingOptions? options = null;
        var optionsPath = Checkpoint.OptionsPath(path);
        if (stateDict.Format == CheckpointFormat.WebGen && File.Exists(optionsPath))
        {
            options = Checkpoint.ReadOptions(optionsPath) ?? throw new InvalidCheckpointException($"{optionsPath} is empty.");
            if (options.Model != kind)
                throw new InvalidCheckpointException(
                    $"{what} is {Article(options.Model)} {Name(options.Model)} checkpoint (says {Checkpoint.OptionsFile}), not {Article(kind)} {Name(kind)} one.");
        }
        return FromStateDict(stateDict, kind, device, what, options);
    }

    /// <summary>An uploaded checkpoint, refused when over <paramref name="maxBytes"/>.</summary>
    public static LoadedModel Load(Stream stream, ModelKind kind, Device device, long maxBytes, string what = "the checkpoint") =>
        Load(StateDict.ReadAllBytes(stream, maxBytes, what), kind, device, what);

    /// <summary>A checkpoint file already in memory, of any format; its settings are read from its shapes.</summary>
    public static LoadedModel Load(byte[] file, ModelKind kind, Device device, string what)
    {
        using var stateDict = StateDict.Read(file, what);
        return FromStateDict(stateDict, kind, device, what);
    }

    /// <summary>
    /// The model of <paramref name="kind"/> that <paramref name="stateDict"/> describes, its weights copied in.
    /// <paramref name="options"/>, when known, fixes the sizes; otherwise they are read from the shapes.
    /// </summary>
    public static LoadedModel FromStateDict(StateDict stateDict, ModelKind kind, Device device, string what, TrainingOptions? options = null)
    {
        if (!Kinds.Contains(kind))
            throw new InvalidCheckpointException($"{Name(kind)} checkpoints are not read here; accepted: {string.Join(", ", Kinds.Select(Name))}.");
        options ??= Infer(kind, stateDict);
        var model = ModelFactory.Create(options);
        try
        {
            var parameters = model.state_dict();
            var problems = Compare(parameters, stateDict, Describe(options));
            if (problems.Count > 0)
            {
                var recognised = Recognise(stateDict);
                var hint = recognised is { } other && other != kind ? $" It looks like {Article(other)} {Name(other)} checkpoint." : "";
                throw new CheckpointMismatchException(
                    $"{what} does not fit {Article(kind)} {Describe(options)}: {string.Join("; ", problems)}.{hint}", problems);
            }
            using (no_grad())
                foreach (var (name, parameter) in parameters)
                    parameter.copy_(stateDict.Tensors[name]);
            model.to(device);
            return new LoadedModel(model, options, stateDict.Format);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Which homework model a state dict's names belong to: a classifier means SSVAE, a z_pre GMVAE.</summary>
    public static ModelKind? Recognise(StateDict stateDict)
    {
        var names = stateDict.Tensors.Keys;
        if (!names.Any(n => n.StartsWith("enc.net.", StringComparison.Ordinal)))
            return null;
        return names.Any(n => n.StartsWith("cls.net.", StringComparison.Ordinal)) ? ModelKind.Ssvae
            : names.Contains("z_pre") ? ModelKind.Gmvae
            : ModelKind.Vae;
    }

    /// <summary>"VAE z=10", "GMVAE z=10 k=500", "SSVAE z=64": the settings that fix the shapes.</summary>
    public static string Describe(TrainingOptions options) => options.Model switch
    {
        ModelKind.Gmvae => $"GMVAE z={options.ZDim} k={options.K}",
        _ => $"{Name(options.Model)} z={options.ZDim}",
    };

    public static string Name(ModelKind kind) => kind.ToString().ToUpperInvariant();

    /// <summary>"an SSVAE" (ess), "a VAE", "a GMVAE".</summary>
    private static string Article(ModelKind kind) => kind == ModelKind.Ssvae ? "an" : "a";

    /// <summary>z_dim from the decoder's input (less the SSVAE's one-hot y) or the encoder's output; k from z_pre.</summary>
    private static TrainingOptions Infer(ModelKind kind, StateDict stateDict)
    {
        var defaults = TrainingOptions.For(kind);
        long? Size(string name, int axis) =>
            stateDict.Tensors.TryGetValue(name, out var t) && t.dim() > axis ? t.shape[axis] : null;
        var yDim = kind == ModelKind.Ssvae ? Ssvae.YDim : 0;
        var z = Size("dec.net.0.weight", 1) - yDim ?? Size("enc.net.4.weight", 0) / 2;
        var k = kind == ModelKind.Gmvae ? Size("z_pre", 1) / 2 ?? Size("pi", 0) : null;
        // Out-of-range sizes keep the defaults; the shape check then names the tensors that disagree.
        return defaults with
        {
            ZDim = z is >= 1 and <= 1024 ? (int)z : defaults.ZDim,
            K = k is >= 1 and <= 10_000 ? (int)k : defaults.K,
            Device = "cpu",
        };
    }

    private static List<string> Compare(IReadOnlyDictionary<string, Tensor> expected, StateDict file, string model)
    {
        var problems = new List<string>();
        foreach (var (name, parameter) in expected)
        {
            if (!file.Tensors.TryGetValue(name, out var given))
                problems.Add($"missing {name} ({StateDict.Shape(parameter.shape)})");
            else if (!given.shape.SequenceEqual(parameter.shape))
                problems.Add($"{name}: file has {StateDict.Shape(given.shape)}, {model} needs {StateDict.Shape(parameter.shape)}");
            else if (!given.is_floating_point())
                problems.Add($"{name}: file has {given.dtype} values, {model} needs floating-point ones");
        }
        foreach (var (name, given) in file.Tensors)
            if (!expected.ContainsKey(name))
                problems.Add($"unexpected {name} ({StateDict.Shape(given.shape)})");
        return problems;
    }
}

using System.Globalization;

namespace WebGen.Shared;

/// <summary>
/// One hyperparameter of a run as every side names it: <see cref="Name"/> in JSON, the API's errors and the form,
/// <see cref="Flag"/> on the command line, <see cref="Label"/> on the form; and the values it accepts.
/// </summary>
public abstract class Hyperparameter(string name, string flag, string label)
{
    public string Name { get; } = name;
    public string Flag { get; } = flag;
    public string Label { get; } = label;

    /// <summary>Whether the new-run form shows the field (the run number only names CLI run folders).</summary>
    public bool OnForm { get; init; } = true;

    /// <summary>What is accepted, as messages say it after "accepted values are": "1 to 10000000", "vae, gmvae, …".</summary>
    public abstract string Accepted { get; }

    /// <summary>The value of this field in <paramref name="options"/>, written as a user would type it.</summary>
    public abstract string ValueIn(TrainingOptions options);

    public abstract bool Accepts(TrainingOptions options);

    /// <summary><paramref name="options"/> with this field set from <paramref name="text"/>; null when the text is not an accepted value.</summary>
    public abstract TrainingOptions? Parse(TrainingOptions options, string text);

    /// <summary>"{shown} {value}: accepted values are …", where each side shows the field by its own name.</summary>
    public string Refusal(string shown, string value) => $"{shown} {value}: accepted values are {Accepted}.";
}

/// <summary>A whole-number field within [<see cref="Min"/>, <see cref="Max"/>].</summary>
public sealed class WholeNumber(
    string name, string flag, string label, int min, int max, Func<TrainingOptions, int> get, Func<TrainingOptions, int, TrainingOptions> set)
    : Hyperparameter(name, flag, label)
{
    public int Min { get; } = min;
    public int Max { get; } = max;
    public int Get(TrainingOptions options) => get(options);
    public TrainingOptions Set(TrainingOptions options, int value) => set(options, value);
    public bool Contains(int value) => value >= Min && value <= Max;

    public override string Accepted => Max == int.MaxValue
        ? string.Create(CultureInfo.InvariantCulture, $"{Min} or more")
        : string.Create(CultureInfo.InvariantCulture, $"{Min} to {Max}");
    public override string ValueIn(TrainingOptions options) => get(options).ToString(CultureInfo.InvariantCulture);
    public override bool Accepts(TrainingOptions options) => Contains(get(options));

    public override TrainingOptions? Parse(TrainingOptions options, string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && Contains(value)
            ? set(options, value) : null;
}

/// <summary>A real-number field above (or from) <see cref="Min"/> and at most <see cref="Max"/>.</summary>
public sealed class RealNumber(
    string name, string flag, string label, double min, bool minIncluded, double max,
    Func<TrainingOptions, double> get, Func<TrainingOptions, double, TrainingOptions> set)
    : Hyperparameter(name, flag, label)
{
    public double Min { get; } = min;
    public bool MinIncluded { get; } = minIncluded;
    public double Max { get; } = max;
    public double Get(TrainingOptions options) => get(options);
    public TrainingOptions Set(TrainingOptions options, double value) => set(options, value);
    public bool Contains(double value) => double.IsFinite(value) && (MinIncluded ? value >= Min : value > Min) && value <= Max;

    public override string Accepted => MinIncluded
        ? string.Create(CultureInfo.InvariantCulture, $"{Min} to {Max}")
        : string.Create(CultureInfo.InvariantCulture, $"greater than {Min} and at most {Max}");
    public override string ValueIn(TrainingOptions options) => get(options).ToString(CultureInfo.InvariantCulture);
    public override bool Accepts(TrainingOptions options) => Contains(get(options));

    public override TrainingOptions? Parse(TrainingOptions options, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && Contains(value)
            ? set(options, value) : null;
}

/// <summary>A field taking one of a few names.</summary>
public sealed class Choice(
    string name, string flag, string label, IReadOnlyList<string> values,
    Func<TrainingOptions, string> get, Func<TrainingOptions, string, TrainingOptions> set)
    : Hyperparameter(name, flag, label)
{
    public IReadOnlyList<string> Values { get; } = values;

    public override string Accepted => string.Join(", ", Values);
    public override string ValueIn(TrainingOptions options) => get(options);
    public override bool Accepts(TrainingOptions options) => Values.Contains(get(options));

    public override TrainingOptions? Parse(TrainingOptions options, string text) =>
        Values.Contains(text) ? set(options, text) : null;
}

/// <summary>
/// The one table of a run's hyperparameters: the command line, the JSON API and the form read, name and check them
/// from here, so their accepted ranges cannot disagree. Defaults are the homework's (<see cref="TrainingOptions.For"/>).
/// </summary>
public static class Hyperparameters
{
    public static readonly Choice Model = new("model", "", "Problem", ModelNames.All,
        o => ModelNames.Of(o.Model), (o, v) => o with { Model = ModelNames.Parse(v)!.Value });
    public static readonly WholeNumber Iterations = new("iterations", "--iterations", "Iterations", 1, 10_000_000,
        o => o.Iterations, (o, v) => o with { Iterations = v });
    public static readonly WholeNumber Seed = new("seed", "--seed", "Seed", 0, 1_000_000, o => o.Seed, (o, v) => o with { Seed = v });
    public static readonly WholeNumber Run = new("run", "--run", "Run number", 0, 9999, o => o.Run, (o, v) => o with { Run = v })
    { OnForm = false };
    public static readonly WholeNumber BatchSize = new("batchSize", "--batch", "Batch size", 1, 60_000,
        o => o.BatchSize, (o, v) => o with { BatchSize = v });
    public static readonly RealNumber LearningRate = new("learningRate", "--lr", "Learning rate", 0, minIncluded: false, 1,
        o => o.LearningRate, (o, v) => o with { LearningRate = v });
    public static readonly WholeNumber ZDim = new("zDim", "--z", "z dimension", 1, 1024, o => o.ZDim, (o, v) => o with { ZDim = v });
    public static readonly WholeNumber K = new("k", "--k", "Mixture components k", 1, 10_000, o => o.K, (o, v) => o with { K = v });
    public static readonly RealNumber GenWeight = new("genWeight", "--gw", "gw (unlabelled NELBO weight)", 0, minIncluded: true, 1000,
        o => o.GenWeight, (o, v) => o with { GenWeight = v });
    public static readonly RealNumber ClassWeight = new("classWeight", "--cw", "cw (labelled cross-entropy weight)", 0, minIncluded: true, 1000,
        o => o.ClassWeight, (o, v) => o with { ClassWeight = v });
    public static readonly WholeNumber CheckpointEvery = new("checkpointEvery", "--checkpoint-every", "Checkpoint every (steps)", 1, 10_000_000,
        o => o.CheckpointEvery, (o, v) => o with { CheckpointEvery = v });
    public static readonly Choice Device = new("device", "--device", "Device", ["auto", "cpu", "cuda"],
        o => o.Device, (o, v) => o with { Device = v });

    /// <summary>Every field of <see cref="TrainingOptions"/>, in the order forms and usage texts list them.</summary>
    public static readonly IReadOnlyList<Hyperparameter> All =
        [Model, Iterations, Seed, Run, BatchSize, LearningRate, ZDim, K, GenWeight, ClassWeight, CheckpointEvery, Device];

    /// <summary>How many runs one request may create (seeds seed … seed+N−1): the form, <c>?replicates=</c> and <c>--runs</c>.</summary>
    public const int MaxReplicates = 10;

    public static string? RefuseReplicates(string shown, int replicates) =>
        replicates is >= 1 and <= MaxReplicates ? null : $"{shown} {replicates}: accepted values are 1 to {MaxReplicates}.";

    /// <summary>The fields of <paramref name="options"/> out of range, each with its message (field name first).</summary>
    public static IReadOnlyDictionary<string, string> Validate(TrainingOptions options) =>
        All.Where(p => !p.Accepts(options)).ToDictionary(p => p.Name, p => p.Refusal(p.Name, p.ValueIn(options)));
}

/// <summary>The homework's models by the names every side uses ("vae", "gmvae", "ssvae", "fsvae").</summary>
public static class ModelNames
{
    public static readonly IReadOnlyList<string> All = [.. Enum.GetValues<ModelKind>().Select(Of)];

    public static string Of(ModelKind model) => model.ToString().ToLowerInvariant();

    /// <summary>How text names a model: "VAE", "SSVAE".</summary>
    public static string Title(ModelKind model) => model.ToString().ToUpperInvariant();

    /// <summary>The article before <see cref="Title"/>: "an" for SSVAE (ess) and FSVAE (ef), "a" for the others.</summary>
    public static string Article(ModelKind model) => model is ModelKind.Ssvae or ModelKind.Fsvae ? "an" : "a";

    /// <summary>"a VAE", "a GMVAE", "an SSVAE", "an FSVAE".</summary>
    public static string WithArticle(ModelKind model) => $"{Article(model)} {Title(model)}";

    /// <summary>The model of a name (exactly as <see cref="All"/> spells it); null for any other text.</summary>
    public static ModelKind? Parse(string name) =>
        Enum.GetValues<ModelKind>().Select(m => (ModelKind?)m).FirstOrDefault(m => Of(m!.Value) == name);
}

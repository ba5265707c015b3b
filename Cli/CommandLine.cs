using System.Globalization;
using WebGen.Shared;

namespace WebGen.Cli;

/// <summary>A wrong flag or value; the message names it and what is accepted. The CLI exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// <c>--name value</c> flags and bare <c>--switch</c>es of one verb. Every read names its accepted range, and
/// <see cref="EnsureAllUsed"/> rejects flags the verb does not know, so a typo is never silently ignored.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> flags = [];
    private readonly HashSet<string> known = [];

    public string Verb { get; }
    public IReadOnlyList<string> Positionals { get; }

    public CommandLine(string verb, IEnumerable<string> args, IReadOnlySet<string> switches)
    {
        Verb = verb;
        var positionals = new List<string>();
        using var items = args.GetEnumerator();
        while (items.MoveNext())
        {
            var arg = items.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal)) { positionals.Add(arg); continue; }
            var (name, inline) = arg.IndexOf('=') is var eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (flags.ContainsKey(name)) throw new UsageException($"{name} is given twice.");
            if (switches.Contains(name)) { flags[name] = inline ?? "true"; continue; }
            if (inline is null && !items.MoveNext()) throw new UsageException($"{name} needs a value.");
            flags[name] = inline ?? items.Current;
        }
        Positionals = positionals;
    }

    public bool Switch(string name) => Read(name) is { } v && v != "false";

    public string String(string name, string fallback) => Read(name) ?? fallback;

    public string? OptionalString(string name) => Read(name);

    /// <summary>The model named by the first positional argument ("vae", "gmvae", "ssvae", "fsvae").</summary>
    public ModelKind Model()
    {
        var name = Positionals.FirstOrDefault() ?? throw new UsageException($"name a model: {Hyperparameters.Model.Accepted}.");
        return ModelNames.Parse(name) ?? throw new UsageException($"unknown model '{name}'; accepted: {Hyperparameters.Model.Accepted}.");
    }

    /// <summary>A run's hyperparameters: the model's homework settings with each flag of the table in its place.</summary>
    public TrainingOptions RunOptions() =>
        Hyperparameters.All.Where(field => field != Hyperparameters.Model).Aggregate(TrainingOptions.For(Model()), Read);

    /// <summary>A hyperparameter's flag read into <paramref name="options"/>, checked by its row of the table.</summary>
    public TrainingOptions Read(TrainingOptions options, Hyperparameter field)
    {
        var text = Read(field.Flag);
        return text is null ? options : field.Parse(options, text) ?? throw new UsageException(field.Refusal(field.Flag, text));
    }

    public int Int(string name, int fallback, int min, int max)
    {
        var text = Read(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"{name} {text}: accepted values are {min} to {max}.");
        return value;
    }

    /// <summary>Rejects any flag the verb never asked for, and stray words.</summary>
    public void EnsureAllUsed(int positionals = 0)
    {
        if (flags.Keys.FirstOrDefault(f => !known.Contains(f)) is { } unknown)
            throw new UsageException($"unknown flag {unknown} for '{Verb}'; accepted: {string.Join(", ", known.Order())}.");
        if (Positionals.Count > positionals)
            throw new UsageException($"unexpected argument '{Positionals[positionals]}' for '{Verb}'.");
    }

    private string? Read(string name)
    {
        known.Add(name);
        return flags.GetValueOrDefault(name);
    }
}

using WebGen.Shared;

namespace WebGen.Cli;

/// <summary>
/// Training progress on stderr: a redrawn bar on a terminal, a plain line every 10 % when redirected (logs, CI).
/// </summary>
public sealed class ProgressBar(TextWriter output) : IProgress<TrainingProgress>, IDisposable
{
    private const int Width = 30;
    private readonly bool interactive = !Console.IsErrorRedirected;
    private int lastTenth = -1;
    private bool drawn;

    public void Report(TrainingProgress value)
    {
        var line = $"step {value.Step,7}/{value.TotalSteps}  loss {value.Loss,7:F2}  kl {value.Kl,6:F2}  rec {value.Rec,7:F2}  " +
                   $"{value.StepsPerSecond,6:F0} steps/s  eta {value.Remaining:hh\\:mm\\:ss}";
        if (interactive)
        {
            var filled = (int)(value.Fraction * Width);
            output.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {line}");
            drawn = true;
            return;
        }
        var tenth = (int)(value.Fraction * 10);
        if (tenth == lastTenth) return;
        lastTenth = tenth;
        output.WriteLine(line);
    }

    public void Finish()
    {
        if (drawn) output.WriteLine();
        drawn = false;
    }

    public void Dispose() => Finish();
}

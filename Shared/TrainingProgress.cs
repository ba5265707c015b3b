namespace WebGen.Shared;

/// <summary>A snapshot of a run in progress: the loss terms of the latest step and the pace so far.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double Kl, double Rec, double StepsPerSecond)
{
    public double Fraction => TotalSteps == 0 ? 0 : (double)Step / TotalSteps;

    public TimeSpan? Remaining =>
        StepsPerSecond > 0 ? TimeSpan.FromSeconds((TotalSteps - Step) / StepsPerSecond) : null;
}

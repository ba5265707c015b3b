using WebGen.Shared;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Runs;

/// <summary>How a stored run reads as the pages, the API and the hub see it; its JSON columns are read with <see cref="JsonColumn"/>.</summary>
public static class StoredRuns
{
    extension(RunEntity run)
    {
        public TrainingOptions Options => JsonColumn.Read<TrainingOptions>(run.OptionsJson);

        /// <summary>An SSVAE's test accuracy at each preview so far (empty for other models).</summary>
        public IReadOnlyList<AccuracyPoint> TestAccuracy => run.TestAccuracyJson is null
            ? []
            : JsonColumn.Read<AccuracyPoint[]>(run.TestAccuracyJson);

        public RunState ToState()
        {
            var options = run.Options;
            var progress = run.Step > 0 ? new TrainingProgress(run.Step, options.Iterations, run.Loss, run.Kl, run.Rec, run.StepsPerSecond) : null;
            var metrics = run.MetricsJson is null ? null : JsonColumn.Read<RunMetrics>(run.MetricsJson);
            return new RunState(run.Id, run.Group, options, run.Status, progress, metrics, run.Error, run.CreatedUtc, run.FinishedUtc,
                run.PreviewStep, run.TestAccuracy, run.OwnerId, run.OwnerName, run.Version);
        }
    }

    extension(MetricPointEntity point)
    {
        public MetricPoint ToPoint() => new(point.Step, point.Loss, point.Kl, point.Rec, point.StepsPerSecond, point.AtUtc);
    }
}

using Microsoft.Extensions.Options;
using WebGen.Compute;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Images;
using WebGen.Compute.Training;
using WebGen.WebApp.Data;

namespace WebGen.WebApp.Reviews;

/// <summary>
/// Evaluates queued reviews one at a time on a dedicated thread with the course's protocol (the IWAE-1000 bound takes
/// a while on a CPU) and writes each one's sample grid. Training runs go on meanwhile, on libtorch's same default
/// random generator: the protocol's seeded section takes the stream alone between two training steps and gives it
/// back as it was (<see cref="RandomStream"/>), so a review scores the course's binarised subset and a run being
/// trained draws what it would have drawn alone; training pauses while a review evaluates.
/// </summary>
public sealed class ReviewWorker(ReviewService reviews, IOptions<WebGenOptions> options, ILogger<ReviewWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.IsWeb)
            return; // reviews are queued in the memory of the web process that took the upload, and evaluated there
        await reviews.RequeueAfterRestartAsync(stoppingToken);
        await foreach (var id in reviews.Queued.ReadAllAsync(stoppingToken))
            await EvaluateAsync(id, stoppingToken);
    }

    private async Task EvaluateAsync(Guid id, CancellationToken stoppingToken)
    {
        var review = await reviews.UpdateAsync(id, r => r.Status = ReviewStatus.Evaluating, stoppingToken);
        if (review is null)
            return;
        try
        {
            var data = options.Value.DataFolder;
            var metrics = await Task.Factory.StartNew(() =>
            {
                var device = Devices.Resolve("auto");
                var checkpoint = Path.Combine(reviews.Folder(id), ReviewService.CheckpointFile);
                using var loaded = ModelCheckpoint.Load(checkpoint, review.Model, device, review.FileName);
                var result = DataSet.For(review.Model).Evaluate(loaded.Model, data, device, stoppingToken);
                File.WriteAllBytes(reviews.GridPath(id), ModelGrid.Png(loaded.Model));
                return result;
            }, stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await reviews.UpdateAsync(id, r =>
            {
                (r.Status, r.MetricsJson, r.FinishedUtc) = (ReviewStatus.Done, JsonColumn.Write(metrics), DateTime.UtcNow);
            }, CancellationToken.None);
            logger.LogInformation("Review {Id}: evaluated", id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            logger.LogInformation("Review {Id}: interrupted by shutdown; it is evaluated again at the next start", id);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Review {Id} failed", id);
            await reviews.UpdateAsync(id, r =>
            {
                (r.Status, r.Error, r.FinishedUtc) = (ReviewStatus.Failed, e.Message, DateTime.UtcNow);
            }, CancellationToken.None);
        }
    }
}

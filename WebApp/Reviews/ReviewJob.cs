using Hangfire;
using Hangfire.InMemory;
using Microsoft.Extensions.Options;
using WebGen.Compute;
using WebGen.Compute.Checkpoints;
using WebGen.Compute.Images;
using WebGen.Compute.Training;
using WebGen.WebApp.Data;
using WebGen.WebApp.Runs;

namespace WebGen.WebApp.Reviews;

/// <summary>
/// One review evaluated as a job of the job system, on whichever worker fetched it from <see cref="Queue"/> (one at a
/// time per worker, beside its training slots): the course's protocol (the IWAE-1000 bound takes a while on a CPU) on
/// the stored checkpoint, and its sample grid written beside it. The protocol's seeded section draws from a generator
/// of its own, so the review scores the course's binarised subset whatever trains beside it. A worker that dies
/// mid-evaluation leaves the job to another after the lease; one that shuts down gives it back to the queue.
/// </summary>
public sealed class ReviewJob(ReviewService reviews, WorkerHeartbeat worker, IOptions<WebGenOptions> options, ILogger<ReviewJob> logger)
{
    /// <summary>The job system's queue of reviews.</summary>
    public const string Queue = "reviews";

    /// <param name="stopping">The job system's shutdown token: the worker is stopping.</param>
    public async Task ExecuteAsync(Guid id, CancellationToken stopping)
    {
        var review = await reviews.UpdateAsync(id, r => r.Status = ReviewStatus.Evaluating, stopping);
        if (review is null)
            return; // deleted meanwhile
        logger.LogInformation("Review {Id}: evaluating {Model} on worker {Worker}", id, review.Model, worker.Id);
        try
        {
            var data = options.Value.DataFolder;
            var metrics = await Task.Factory.StartNew(() =>
            {
                var device = Devices.Resolve("auto");
                var checkpoint = Path.Combine(reviews.Folder(id), ReviewService.CheckpointFile);
                using var loaded = ModelCheckpoint.Load(checkpoint, review.Model, device, review.FileName);
                var result = DataSet.For(review.Model).Evaluate(loaded.Model, data, device, stopping);
                File.WriteAllBytes(reviews.GridPath(id), ModelGrid.Png(loaded.Model));
                return result;
            }, stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await reviews.UpdateAsync(id, r =>
            {
                (r.Status, r.MetricsJson, r.FinishedUtc) = (ReviewStatus.Done, JsonColumn.Write(metrics), DateTime.UtcNow);
            }, CancellationToken.None);
            logger.LogInformation("Review {Id}: evaluated", id);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await reviews.UpdateAsync(id, r => r.Status = ReviewStatus.Queued, CancellationToken.None);
            logger.LogInformation("Review {Id}: interrupted by the worker's shutdown; it is evaluated again", id);
            throw; // the job system puts the job back at the head of its queue
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

    /// <summary>
    /// On a job storage in memory (the single-process default) the jobs of reviews not yet evaluated when the process
    /// last stopped went with it: they are queued again at the start.
    /// </summary>
    public sealed class Recovery(ReviewService reviews, JobStorage storage) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            storage is InMemoryStorage ? reviews.RequeueLostJobsAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using Microsoft.Extensions.Options;

namespace WebGen.WebApp.Assignments;

/// <summary>Submits the files of confirmed batches, one batch at a time, in the web process whose reviews evaluate them.</summary>
public sealed class BatchWorker(BatchService batches, IOptions<WebGenOptions> options, ILogger<BatchWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.IsWeb)
            return;
        await batches.RequeueAfterRestartAsync(stoppingToken);
        await foreach (var id in batches.Confirmed.ReadAllAsync(stoppingToken))
        {
            try
            {
                await batches.SubmitAsync(id, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                logger.LogInformation("Batch {Id}: interrupted by shutdown; its remaining files are submitted at the next start", id);
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
            {
                logger.LogError(e, "Batch {Id}: its record could not be read or written", id);
            }
        }
    }
}

namespace WebGen.Compute.Checkpoints;

/// <summary>
/// The largest settings a checkpoint's shapes may describe when they are read from the file (a PyTorch state dict,
/// or a WebGen checkpoint without its run.json). A model is built from those settings before any of the file's
/// tensors, so these bound the memory any file can make the loader use. The defaults allow every homework setting
/// (z = 10 or 64, k = 500) with room to spare, and cap the largest model at about 3.6 million values (14 MB): a
/// GMVAE with z = 1024 and k = 1000 (its prior alone is 2·k·z values).
/// </summary>
public sealed record CheckpointLimits(int MaxZ = 1024, int MaxK = 1000)
{
    public static CheckpointLimits Default { get; } = new();
}

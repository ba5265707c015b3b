using TorchSharp;
using WebGen.Shared;
using static TorchSharp.torch;

namespace WebGen.Compute;

/// <summary>Maps the user's device choice (auto, cpu, cuda) to a TorchSharp device.</summary>
public static class Devices
{
    public static Device Resolve(string choice) => choice switch
    {
        "auto" => cuda.is_available() ? CUDA : CPU,
        "cpu" => CPU,
        "cuda" when cuda.is_available() => CUDA,
        "cuda" => throw new ArgumentException(
            "no CUDA device is visible to TorchSharp (this build uses the CPU libtorch unless built with -p:TorchBackend=cuda)."),
        _ => throw new ArgumentException($"unknown device '{choice}'; accepted: {Hyperparameters.Device.Accepted}."),
    };

    /// <summary>
    /// Sets how many threads each CPU operation may use. libtorch keeps one count for the whole process, so a worker
    /// training several runs at once on c cores sets c / runs once, not each run its own.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is below 1 or above the machine's processors.</exception>
    public static void SetIntraOpThreads(int threads)
    {
        if (threads < 1 || threads > Environment.ProcessorCount)
            throw new ArgumentOutOfRangeException(nameof(threads), threads,
                $"intra-op threads must be from 1 to {Environment.ProcessorCount} (this machine's processors), not {threads}.");
        set_num_threads(threads);
    }

    /// <summary>How many threads each CPU operation may use now.</summary>
    public static int IntraOpThreads => get_num_threads();

    /// <summary>The device a choice resolves to here, as "cpu" or "cuda".</summary>
    public static string Name(string choice) => Resolve(choice).type == DeviceType.CUDA ? "cuda" : "cpu";
}

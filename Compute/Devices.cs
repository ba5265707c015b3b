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

    /// <summary>The device a choice resolves to here, as "cpu" or "cuda".</summary>
    public static string Name(string choice) => Resolve(choice).type == DeviceType.CUDA ? "cuda" : "cpu";
}

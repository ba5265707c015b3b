using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Adam = WebGen.Compute.Training.Adam;

namespace WebGen.Tests;

/// <summary>
/// The trainer's Adam, whose Scalars are owned instead of left to the garbage collector, must be TorchSharp's Adam in
/// every bit, and read the optimizer.pt files TorchSharp's Adam wrote.
/// </summary>
[Collection(nameof(SeededDraws))]
public sealed class AdamTests : IDisposable
{
    private const int Steps = 300;

    private readonly string folder = Directory.CreateTempSubdirectory("webgen-adam-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Steps_GiveTorchSharpsAdamParametersBitForBit()
    {
        using var theirs = NewNetwork();
        using var ours = NewNetwork();
        using var theirOptimizer = optim.Adam(theirs.parameters(), lr: 1e-3);
        using var ourOptimizer = new Adam(ours.parameters(), lr: 1e-3);
        var batches = Batches(Steps);

        Train(theirs, theirOptimizer, batches);
        Train(ours, ourOptimizer, batches);

        Assert.Equal(Bits(theirs), Bits(ours));
    }

    [Fact]
    public void StateSavedByTorchSharpsAdam_ResumesWithTheSameMomentsAndStep()
    {
        using var theirs = NewNetwork();
        using var ours = NewNetwork();
        using var theirOptimizer = optim.Adam(theirs.parameters(), lr: 1e-3);
        var batches = Batches(2 * Steps / 3);
        var (first, second) = (batches[..(Steps / 3)], batches[(Steps / 3)..]);
        Train(theirs, theirOptimizer, first);
        var saved = Path.Combine(folder, "optimizer.pt");
        theirOptimizer.save_state_dict(saved);

        // A resumed run: the weights from the checkpoint, the moments and step from optimizer.pt.
        using (no_grad())
            foreach (var (resumed, trained) in ours.parameters().Zip(theirs.parameters()))
                resumed.copy_(trained);
        using var ourOptimizer = new Adam(ours.parameters(), lr: 1e-3);
        ourOptimizer.load_state_dict(saved);
        Train(theirs, theirOptimizer, second);
        Train(ours, ourOptimizer, second);

        Assert.Equal(Bits(theirs), Bits(ours));
    }

    [Fact]
    public void ParameterWithoutGradient_IsLeftAloneWithItsStepAtZero()
    {
        // The SSVAE at gw = 0: its encoder and decoder get no gradient, and PyTorch's Adam skips them.
        using var network = NewNetwork();
        using var unused = nn.Linear(4, 4);
        var before = Convert.ToHexString(unused.weight!.detach().bytes);
        using var optimizer = new Adam([.. network.parameters(), .. unused.parameters()], lr: 1e-3);

        Train(network, optimizer, Batches(3));

        Assert.Equal(before, Convert.ToHexString(unused.weight!.detach().bytes));
        Assert.All(optimizer.Moments().TakeLast(2), moments => Assert.Equal(0, moments.Step));
    }

    private static Sequential NewNetwork()
    {
        manual_seed(5);
        return nn.Sequential(nn.Linear(20, 30), nn.Tanh(), nn.Linear(30, 5));
    }

    private static (Tensor X, Tensor Y)[] Batches(int count)
    {
        manual_seed(6);
        return [.. Enumerable.Range(0, count).Select(_ => (randn(16, 20), randn(16, 5)))];
    }

    private static void Train(Sequential network, optim.Optimizer optimizer, (Tensor X, Tensor Y)[] batches)
    {
        foreach (var (x, y) in batches)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(network.forward(x), y).backward();
            optimizer.step();
        }
    }

    private static string[] Bits(Sequential network) =>
        [.. network.parameters().Select(p => Convert.ToHexString(p.detach().bytes))];
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WebGen.Compute.Training;

/// <summary>
/// Adam with PyTorch 1.13's <c>_single_tensor_adam</c> arithmetic, in the same order, with every Scalar owned and
/// disposed here. TorchSharp's step passes β, 1 − β, ε and the step size as temporary Scalars that the garbage
/// collector may free while libtorch reads them (see <see cref="Models.OwnedScalars"/>); with an allocating neighbour
/// that failed runs with "Unknown scalar type" in Adam.step.
/// It keeps TorchSharp's state and its class name "Adam", so optimizer.pt files are the same in both directions:
/// runs saved before this class resume with it, and TorchSharp's Adam reads what it saves.
/// Only the homework's settings: default betas and ε, no weight decay, AMSGrad or maximize.
/// </summary>
public sealed class Adam(IEnumerable<Parameter> parameters, double lr) : TorchSharp.Modules.Adam(parameters, lr)
{
    private readonly Parameter[] ordered = [.. parameters];

    /// <summary>Each parameter's step count and moments, in the order of the parameters given: what a checkpoint keeps.</summary>
    public IReadOnlyList<AdamMoments> Moments() => [.. ordered.Select(p => (State)_state[p.Handle]).Select(state =>
        new AdamMoments(state.step, state.exp_avg.cpu().data<float>().ToArray(), state.exp_avg_sq.cpu().data<float>().ToArray()))];

    /// <summary>Puts back what <see cref="Moments"/> gave, one entry per parameter of the same sizes.</summary>
    public void Restore(IReadOnlyList<AdamMoments> moments)
    {
        if (moments.Count != ordered.Length)
            throw new ArgumentException($"Adam has {ordered.Length} parameters, the moments given {moments.Count}.");
        using var noGrad = no_grad();
        foreach (var (parameter, saved) in ordered.Zip(moments))
        {
            var state = (State)_state[parameter.Handle];
            state.step = saved.Step;
            using var expAvg = tensor(saved.ExpAvg).reshape(state.exp_avg.shape);
            using var expAvgSq = tensor(saved.ExpAvgSq).reshape(state.exp_avg_sq.shape);
            state.exp_avg.copy_(expAvg);
            state.exp_avg_sq.copy_(expAvgSq);
        }
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        var (beta1, beta2, eps, lr) = (options.beta1!.Value, options.beta2!.Value, options.eps!.Value, options.LearningRate!.Value);
        using Scalar beta1Scalar = beta1.ToScalar(), beta2Scalar = beta2.ToScalar(), epsScalar = eps.ToScalar(),
            gradWeight = (1 - beta1).ToScalar(), squareWeight = (1 - beta2).ToScalar();
        foreach (var param in group.Parameters)
        {
            var state = (State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null)
                continue;
            state.step += 1;
            var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
            var biasCorrection2 = 1 - Math.Pow(beta2, state.step);

            state.exp_avg.mul_(beta1Scalar).add_(grad, gradWeight);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad.conj(), squareWeight);
            using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
            using var stepSize = (-(lr / biasCorrection1)).ToScalar();
            // In place after the one sqrt: the same operations in the same order, one temporary instead of two.
            using var denom = state.exp_avg_sq.sqrt();
            denom.div_(sqrtBiasCorrection2).add_(epsScalar, Models.OwnedScalars.One);
            param.addcdiv_(state.exp_avg, denom, stepSize);
        }
    }, closure);
}

/// <summary>One parameter's Adam state: its step count and first and second moments, flattened.</summary>
public sealed record AdamMoments(long Step, float[] ExpAvg, float[] ExpAvgSq);

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
/// <para>
/// At the first step the parameters that received a gradient are moved, with their gradients and moments, into one
/// contiguous buffer each (<see cref="FlatBuffers"/>): every later step is then eight operations over all parameters
/// instead of eight per parameter. Each element sees the same operations in the same order as before, so the
/// update is the same. Restore moments or load optimizer.pt before the first step.
/// </para>
/// </summary>
public sealed class Adam(IEnumerable<Parameter> parameters, double lr) : TorchSharp.Modules.Adam(parameters, lr)
{
    private readonly Parameter[] ordered = [.. parameters];
    private FlatBuffers? flat;
    private bool gathered;

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

    /// <summary>Zeroes the gradients in place, as TorchSharp's does, in one operation once they are gathered.</summary>
    public override void zero_grad()
    {
        if (flat is null)
        {
            base.zero_grad();
            return;
        }
        flat.Gradients.zero_();
        foreach (var parameter in flat.Outside)
            parameter.grad?.zero_();
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        var (beta1, beta2, eps, lr) = (options.beta1!.Value, options.beta2!.Value, options.eps!.Value, options.LearningRate!.Value);
        using Scalar beta1Scalar = beta1.ToScalar(), beta2Scalar = beta2.ToScalar(), epsScalar = eps.ToScalar(),
            gradWeight = (1 - beta1).ToScalar(), squareWeight = (1 - beta2).ToScalar();
        if (!gathered)
        {
            flat = FlatBuffers.Gather(ordered, p => (State)_state[p.Handle]);
            gathered = true;
        }
        void Update(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, long step)
        {
            var biasCorrection1 = 1 - Math.Pow(beta1, step);
            var biasCorrection2 = 1 - Math.Pow(beta2, step);
            expAvg.mul_(beta1Scalar).add_(grad, gradWeight);
            expAvgSq.mul_(beta2Scalar).addcmul_(grad, grad, squareWeight); // conj() of a real gradient is itself
            using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
            using var stepSize = (-(lr / biasCorrection1)).ToScalar();
            // In place after the one sqrt: the same operations in the same order, one temporary instead of two.
            using var denom = expAvgSq.sqrt();
            denom.div_(sqrtBiasCorrection2).add_(epsScalar, Models.OwnedScalars.One);
            param.addcdiv_(expAvg, denom, stepSize);
        }

        if (flat is not null)
        {
            foreach (var state in flat.States)
                state.step += 1;
            Update(flat.Parameters, flat.Gradients, flat.ExpAvg, flat.ExpAvgSq, flat.States[0].step);
        }
        foreach (var param in flat?.Outside ?? group.Parameters)
        {
            var state = (State)_state[param.Handle];
            if (param.grad is not { } grad)
                continue;
            state.step += 1;
            Update(param, grad, state.exp_avg, state.exp_avg_sq, state.step);
        }
    }, closure);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            flat?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// The parameters that had a gradient at the first step, each now a view into <see cref="Parameters"/>, its
    /// gradient a view into <see cref="Gradients"/> (zeroed in place, so backward accumulates into it) and its
    /// moments views into <see cref="ExpAvg"/> and <see cref="ExpAvgSq"/>; <see cref="Outside"/> are the rest
    /// (the SSVAE's encoder and decoder at gw = 0 get no gradient and are left alone, as PyTorch's Adam leaves them).
    /// </summary>
    private sealed class FlatBuffers(Tensor parameters, Tensor gradients, Tensor expAvg, Tensor expAvgSq,
        State[] states, Parameter[] outside) : IDisposable
    {
        public Tensor Parameters { get; } = parameters;
        public Tensor Gradients { get; } = gradients;
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;
        public State[] States { get; } = states;
        public Parameter[] Outside { get; } = outside;

        /// <summary>
        /// Null where gathering would change the arithmetic: no gradients yet, mixed dtypes or devices, or step
        /// counts that differ (each parameter's bias correction would differ).
        /// </summary>
        public static FlatBuffers? Gather(Parameter[] all, Func<Parameter, State> stateOf)
        {
            var inside = all.Where(p => p.grad is not null).ToArray();
            var outside = all.Where(p => p.grad is null).ToArray();
            if (inside.Length == 0
                || inside.Select(p => (p.dtype, p.device.ToString())).Distinct().Count() != 1
                || inside.Select(p => stateOf(p).step).Distinct().Count() != 1)
                return null;
            using var noGrad = no_grad();
            var total = inside.Sum(p => p.numel());
            var (dtype, device) = (inside[0].dtype, inside[0].device);
            Tensor Buffer() => empty(total, dtype, device).DetachFromDisposeScope();
            var (parameters, gradients, expAvg, expAvgSq) = (Buffer(), Buffer(), Buffer(), Buffer());
            var offset = 0L;
            foreach (var parameter in inside)
            {
                var state = stateOf(parameter);
                Tensor Slice(Tensor buffer, Tensor values)
                {
                    using var part = buffer.narrow(0, offset, parameter.numel());
                    var view = part.view(parameter.shape).DetachFromDisposeScope();
                    view.copy_(values);
                    return view;
                }
                using (var parameterView = Slice(parameters, parameter))
                    parameter.set_(parameterView);
                using (var gradientView = Slice(gradients, parameter.grad!))
                    parameter.grad = gradientView;
                (state.exp_avg, state.exp_avg_sq) = (Replace(state.exp_avg, Slice(expAvg, state.exp_avg)),
                    Replace(state.exp_avg_sq, Slice(expAvgSq, state.exp_avg_sq)));
                offset += parameter.numel();
            }
            return new FlatBuffers(parameters, gradients, expAvg, expAvgSq, [.. inside.Select(stateOf)], outside);
        }

        private static Tensor Replace(Tensor old, Tensor view)
        {
            old.Dispose();
            return view;
        }

        public void Dispose()
        {
            Parameters.Dispose();
            Gradients.Dispose();
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }
}

/// <summary>One parameter's Adam state: its step count and first and second moments, flattened.</summary>
public sealed record AdamMoments(long Step, float[] ExpAvg, float[] ExpAvgSq);

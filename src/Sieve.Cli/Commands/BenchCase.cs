using Microsoft.ML.OnnxRuntime;
using Sieve.Eval;

namespace Sieve.Cli.Commands;

/// <summary>The loaded ONNX Runtime sessions a workload's peer run is built from: the image (or ViLT's fusion) model, and CLIP's text tower.</summary>
internal sealed record OnnxRuntimeModels(OnnxRuntimePeer Peer, InferenceSession Image, InferenceSession? Text);

/// <summary>
/// One benchmark workload: Sieve's way of running it and, where ONNX Runtime has a counterpart, how to run
/// that on the same inputs. Timings are filled in by the benchmark.
/// </summary>
internal sealed class BenchCase
{
    /// <summary>What is run, e.g. "image, batch 1".</summary>
    public required string Name { get; init; }

    /// <summary>Images or texts one run processes.</summary>
    public required int Items { get; init; }

    /// <summary>Untimed runs first.</summary>
    public required int Warmup { get; init; }

    /// <summary>Timed runs.</summary>
    public required int Runs { get; init; }

    /// <summary>Multiply-adds Sieve performs in one run.</summary>
    public required long SieveMacs { get; init; }

    /// <summary>One Sieve run.</summary>
    public required Action Sieve { get; init; }

    /// <summary>Binds ONNX Runtime's run to loaded sessions; null when the workload is Sieve's alone.</summary>
    public Func<OnnxRuntimeModels, Action>? BindPeer { get; init; }

    /// <summary>Multiply-adds ONNX Runtime performs in one run (more than Sieve's when it must pad).</summary>
    public long PeerMacs { get; init; }

    /// <summary>One ONNX Runtime run, once bound.</summary>
    public Action? Peer { get; set; }

    /// <summary>For a reduced workload: the dense Sieve run it is compared with, timed alternately with it.</summary>
    public Action? Dense { get; init; }

    /// <summary>Multiply-adds of the dense counterpart.</summary>
    public long DenseMacs { get; init; }

    /// <summary>Most activation bytes one Sieve run held at once (<see cref="Tensors.ActivationMemory"/>).</summary>
    public long SieveActivationBytes { get; set; }

    public Timing? SieveTime { get; set; }
    public Timing? PeerTime { get; set; }
    public Timing? DenseTime { get; set; }
}

using Microsoft.ML.OnnxRuntime;

namespace Sieve.Cli.Commands;

/// <summary>
/// ONNX Runtime sessions over Sieve's exported graphs, configured for a fair CPU comparison: all graph
/// optimisations, sequential execution, intra-op threads = Sieve's thread count, no spinning between runs.
/// Inputs are bound once; each returned action is one <c>Run</c> whose outputs are released at once.
/// </summary>
internal sealed class OnnxRuntimePeer : IDisposable
{
    readonly SessionOptions _options;
    readonly RunOptions _run = new();
    readonly List<IDisposable> _owned = [];

    public OnnxRuntimePeer(int threads)
    {
        _options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        // Idle intra-op workers otherwise spin on after each run: measured on 2 cores, that slowed the Sieve run
        // that follows by ~9% (133 → 145 ms, CLIP B/16 image) while sparing ONNX Runtime only ~2% (110 → 107 ms).
        _options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
    }

    /// <summary>The ONNX Runtime build in use, e.g. "1.31.1".</summary>
    public static string Version => OrtEnv.Instance().GetVersionString();

    /// <summary>Loads a model file; the file may be deleted afterwards.</summary>
    public InferenceSession Load(string path)
    {
        var session = new InferenceSession(path, _options);
        _owned.Add(session);
        return session;
    }

    /// <summary>An input tensor over <paramref name="data"/>, shaped <paramref name="shape"/>, released with the peer.</summary>
    public OrtValue Tensor<T>(T[] data, params long[] shape) where T : unmanaged
    {
        var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        _owned.Add(value);
        return value;
    }

    /// <summary>One run of <paramref name="session"/> on <paramref name="input"/> shaped <paramref name="shape"/>.</summary>
    public Action Runner<T>(InferenceSession session, T[] input, params long[] shape) where T : unmanaged => Runner(session, Tensor(input, shape));

    /// <summary>One run of <paramref name="session"/> on its inputs, in the graph's order; only the first output is fetched.</summary>
    public Action Runner(InferenceSession session, params OrtValue[] values)
    {
        string[] inputs = session.InputNames.Take(values.Length).ToArray(), outputs = [session.OutputNames[0]];
        return () =>
        {
            using var result = session.Run(_run, inputs, values, outputs);
        };
    }

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
        _run.Dispose();
        _options.Dispose();
    }
}

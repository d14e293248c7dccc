using Microsoft.ML.OnnxRuntime;
using Sieve.Eval;
using Sieve.Tensors;

namespace Sieve.Cli.Commands;

/// <summary>
/// ONNX Runtime as <c>sieve bench</c>'s peer: it runs Sieve's own weights, exported by <c>export</c> to ONNX files
/// in a temporary folder (removed on disposal), configured for a fair CPU comparison: all graph optimisations,
/// sequential execution, intra-op threads = Sieve's thread count, no spinning between runs. Inputs are bound once;
/// each bound action is one <c>Run</c> of every output of the graph (BLIP's two scores), released at once. With
/// <paramref name="int8"/> the int8 graphs (Sieve's int8 weights, dynamically quantized activations) are exported and
/// loaded beside the float32 ones, for inputs of <see cref="Precision.Int8"/>.
/// </summary>
/// <param name="threads">Intra-op threads.</param>
/// <param name="export">
/// Writes the image (or ViLT, or BLIP matching) graph in the given precision to the first path and, for CLIP, the text
/// graph to the second; returns the parameter count.
/// </param>
/// <param name="int8">Whether int8 graphs are exported and loaded too.</param>
internal sealed class OnnxRuntimePeer(int threads, Func<Precision, string, string, long> export, bool int8 = false) : IBenchPeer, IDisposable
{
    readonly RunOptions _run = new();
    readonly List<IDisposable> _owned = [];
    readonly Dictionary<(PeerGraph, Precision), InferenceSession> _sessions = [];
    DirectoryInfo? _folder;

    public PeerNames Names { get; } = new("ONNX Runtime", "ORT", "OnnxRuntime");

    /// <summary>The ONNX Runtime build in use, e.g. "1.31.1".</summary>
    public string Version => OrtEnv.Instance().GetVersionString();

    public string PrepareDescription => "exporting the same weights to ONNX";

    Precision[] Precisions => int8 ? [Precision.Float32, Precision.Int8] : [Precision.Float32];

    string PathOf(PeerGraph graph, Precision precision) =>
        Path.Combine(_folder!.FullName, $"{(graph == PeerGraph.Image ? "image" : "text")}{(precision == Precision.Int8 ? ".int8" : "")}.onnx");

    public long Prepare()
    {
        _folder = Directory.CreateTempSubdirectory("sieve-bench-");
        long parameters = 0;
        foreach (var precision in Precisions)
        {
            long written = export(precision, PathOf(PeerGraph.Image, precision), PathOf(PeerGraph.Text, precision));
            if (precision == Precision.Float32) parameters = written; // the figure memory is compared with: float32 weights
        }
        return parameters;
    }

    public void Load()
    {
        // Created here, not in the constructor: ONNX Runtime's native library is loaded with them, and its memory is the peer's.
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        _owned.Add(options);
        // Idle intra-op workers otherwise spin on after each run: measured on 2 cores, that slowed the Sieve run
        // that follows by ~9% (133 → 145 ms, CLIP B/16 image) while sparing ONNX Runtime only ~2% (110 → 107 ms).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        foreach (var precision in Precisions)
            foreach (var graph in new[] { PeerGraph.Image, PeerGraph.Text })
                if (File.Exists(PathOf(graph, precision))) _sessions[(graph, precision)] = Load(PathOf(graph, precision), options);
    }

    public Action Bind(PeerInputs inputs)
    {
        if (!_sessions.TryGetValue((inputs.Graph, inputs.Precision), out var session))
            throw new InvalidOperationException($"no {CliOptions.PrecisionName(inputs.Precision)} {inputs.Graph} model loaded for ONNX Runtime");
        var values = inputs.Tensors.Select(Tensor).ToArray();
        string[] names = session.InputNames.Take(values.Length).ToArray(), outputs = [.. session.OutputNames];
        return () =>
        {
            using var result = session.Run(_run, names, values, outputs);
        };
    }

    InferenceSession Load(string path, SessionOptions options)
    {
        var session = new InferenceSession(path, options);
        _owned.Add(session);
        return session;
    }

    OrtValue Tensor(PeerTensor tensor)
    {
        long[] shape = [.. tensor.Shape];
        var value = tensor.Values switch
        {
            float[] floats => OrtValue.CreateTensorValueFromMemory(floats, shape),
            long[] ids => OrtValue.CreateTensorValueFromMemory(ids, shape),
            var other => throw new ArgumentException($"no ONNX Runtime tensor of {other.GetType().Name}"),
        };
        _owned.Add(value);
        return value;
    }

    public void Dispose()
    {
        // Values before the sessions and options that use them.
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _run.Dispose();
        _folder?.Delete(recursive: true);
    }
}

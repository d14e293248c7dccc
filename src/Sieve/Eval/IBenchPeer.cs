namespace Sieve.Eval;

/// <summary>How a peer is named in a report: in prose, in table headers, and in JSON field names.</summary>
/// <param name="Name">E.g. "ONNX Runtime".</param>
/// <param name="Abbreviation">E.g. "ORT" (column headers such as "ORT ms").</param>
/// <param name="Identifier">E.g. "OnnxRuntime": the peer's JSON fields are "onnxRuntime", "sieveOverOnnxRuntime", ….</param>
internal sealed record PeerNames(string Name, string Abbreviation, string Identifier);

/// <summary>
/// The engine Sieve is benchmarked against, running the same weights on the same inputs. <see cref="BenchRunner"/>
/// calls <see cref="Prepare"/> once (untimed, after Sieve's memory is read), then <see cref="Load"/>, then
/// <see cref="Bind"/> for each workload that has peer inputs; the rise in memory from loading through the
/// warm-up runs is the peer's. The caller owns the peer and disposes of it.
/// </summary>
internal interface IBenchPeer
{
    /// <summary>The peer's names in the report.</summary>
    PeerNames Names { get; }

    /// <summary>The peer's version, e.g. "1.31.1" (read after <see cref="Load"/>).</summary>
    string Version { get; }

    /// <summary>What <see cref="Prepare"/> does, for progress, e.g. "exporting the same weights to ONNX".</summary>
    string PrepareDescription { get; }

    /// <summary>Gets the peer's copy of the model ready to load (e.g. writes it in the peer's format).</summary>
    /// <returns>The parameters (float32 weights) the model holds: the figure memory is compared with.</returns>
    long Prepare();

    /// <summary>Loads the prepared model.</summary>
    void Load();

    /// <summary>One run of the loaded model on <paramref name="inputs"/> (inputs bound once, outputs released after each run).</summary>
    Action Bind(PeerInputs inputs);
}

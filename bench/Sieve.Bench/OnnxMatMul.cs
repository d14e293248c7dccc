using Microsoft.ML.OnnxRuntime;

namespace Sieve.Bench;

/// <summary>
/// An ONNX Runtime session holding one MatMul C[M, N] = A[M, K]·B[K, N] with B as an initializer (so ORT
/// prepacks it, as Sieve packs its weights), run on preallocated input and output tensors.
/// </summary>
sealed class OnnxMatMul : IDisposable
{
    readonly InferenceSession _session;
    readonly RunOptions _run = new();
    readonly OrtValue _a, _c;
    readonly string[] _inputs = ["A"], _outputs = ["C"];

    public OnnxMatMul(float[] a, float[] b, float[] c, int m, int k, int n, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        // Workers spin only inside Run, so they do not steal the core from the Sieve runs interleaved with it.
        options.AddSessionConfigEntry("session.force_spinning_stop", "1");
        _session = new InferenceSession(MatMulModel(b, m, k, n), options);
        _a = OrtValue.CreateTensorValueFromMemory(a, [m, k]);
        _c = OrtValue.CreateTensorValueFromMemory(c, [m, n]);
    }

    public void Run() => _session.Run(_run, _inputs, [_a], _outputs, [_c]);

    public void Dispose()
    {
        _a.Dispose();
        _c.Dispose();
        _run.Dispose();
        _session.Dispose();
    }

    // ModelProto (onnx.proto field numbers), IR version 8, opset 17.
    static byte[] MatMulModel(float[] b, int m, int k, int n)
    {
        var raw = new byte[b.Length * sizeof(float)];
        Buffer.BlockCopy(b, 0, raw, 0, raw.Length);
        var initializer = new Proto().Int(1, k).Int(1, n).Int(2, 1).Str(8, "B").Bytes(9, raw);   // dims, FLOAT, name, raw_data
        var graph = new Proto()
            .Msg(1, new Proto().Str(1, "A").Str(1, "B").Str(2, "C").Str(4, "MatMul"))       // node: inputs, output, op_type
            .Str(2, "matmul")
            .Msg(5, initializer)
            .Msg(11, Value("A", m, k))
            .Msg(12, Value("C", m, n));
        return new Proto().Int(1, 8).Str(2, "sieve-bench").Msg(7, graph).Msg(8, new Proto().Int(2, 17)).ToArray();
    }

    // ValueInfoProto { name, type: TypeProto { tensor_type { elem_type FLOAT, shape { dim, dim } } } }
    static Proto Value(string name, int rows, int cols) =>
        new Proto().Str(1, name).Msg(2, new Proto().Msg(1, new Proto().Int(1, 1)
            .Msg(2, new Proto().Msg(1, new Proto().Int(1, rows)).Msg(1, new Proto().Int(1, cols)))));

    /// <summary>Just enough protobuf: varint and length-delimited fields.</summary>
    sealed class Proto
    {
        readonly MemoryStream _bytes = new();

        public Proto Int(int field, long value) { Varint((ulong)field << 3); Varint((ulong)value); return this; }
        public Proto Str(int field, string value) => Bytes(field, System.Text.Encoding.UTF8.GetBytes(value));
        public Proto Msg(int field, Proto message) => Bytes(field, message.ToArray());

        public Proto Bytes(int field, byte[] value)
        {
            Varint((ulong)field << 3 | 2);
            Varint((ulong)value.Length);
            _bytes.Write(value);
            return this;
        }

        public byte[] ToArray() => _bytes.ToArray();

        void Varint(ulong v)
        {
            for (; v >= 0x80; v >>= 7) _bytes.WriteByte((byte)(v | 0x80));
            _bytes.WriteByte((byte)v);
        }
    }
}

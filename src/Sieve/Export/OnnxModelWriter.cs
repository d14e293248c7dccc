using System.Runtime.InteropServices;
using static Sieve.Export.ProtobufWriter;

namespace Sieve.Export;

/// <summary>
/// Serialises an <see cref="OnnxGraph"/> as an ONNX <c>ModelProto</c> (onnx.proto, proto2 syntax). Only the
/// fields Sieve needs are written, each with its field number from onnx.proto, in field-number order as
/// protobuf's own serialiser does. Repeated integers are written unpacked, proto2's default encoding.
/// </summary>
internal static class OnnxModelWriter
{
    /// <summary>The ONNX operator set the graphs use (it has LayerNormalization; Gelu came only in 20).</summary>
    public const int Opset = 17;

    /// <summary>IR version 8 (ONNX 1.12), the one that came with opset 17.</summary>
    const long IrVersion = 8;

    /// <summary>Protobuf refuses messages over 2 GiB; bigger models would need ONNX's external-data files.</summary>
    const long MaxModelBytes = int.MaxValue;

    // ModelProto
    const int ModelIrVersion = 1, ModelProducerName = 2, ModelProducerVersion = 3, ModelGraph = 7, ModelOpsetImport = 8;
    // OperatorSetIdProto
    const int OpsetVersion = 2;
    // GraphProto
    const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    // NodeProto
    const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    // AttributeProto and its AttributeType enum
    const int AttributeName = 1, AttributeFloat = 2, AttributeInt = 3, AttributeString = 4, AttributeInts = 8, AttributeType = 20;
    const int TypeFloat = 1, TypeInt = 2, TypeString = 3, TypeInts = 7;
    // TensorProto
    const int TensorDims = 1, TensorDataType = 2, TensorName = 8, TensorRawData = 9;
    // ValueInfoProto → TypeProto → TypeProto.Tensor → TensorShapeProto → Dimension
    const int ValueName = 1, ValueType = 2, TypeTensor = 1, TensorElemType = 1, TensorShape = 2, ShapeDim = 1, DimValue = 1, DimParam = 2;

    /// <summary>Writes the model to <paramref name="stream"/> and returns its size in bytes.</summary>
    public static long Write(OnnxGraph graph, Stream stream)
    {
        // raw_data is little-endian by definition; the arrays are copied byte for byte.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export needs a little-endian machine");
        void Model(ProtobufWriter w) => WriteModel(w, graph);
        long size = SizeOf(Model);
        if (size > MaxModelBytes)
            throw new SieveFormatException(
                $"the ONNX model of graph '{graph.Name}' would be {size} bytes; one ONNX protobuf file holds at most {MaxModelBytes} (2 GiB), and external data files are not supported");
        Model(new ProtobufWriter(stream));
        return size;
    }

    static void WriteModel(ProtobufWriter w, OnnxGraph graph)
    {
        w.Int64(ModelIrVersion, IrVersion);
        w.String(ModelProducerName, "Sieve");
        w.String(ModelProducerVersion, typeof(OnnxModelWriter).Assembly.GetName().Version?.ToString() ?? "0");
        w.Message(ModelGraph, g => WriteGraph(g, graph));
        // The default domain ("" = ai.onnx) is the field's default value, so only the version is written.
        w.Message(ModelOpsetImport, o => o.Int64(OpsetVersion, Opset));
    }

    static void WriteGraph(ProtobufWriter w, OnnxGraph graph)
    {
        foreach (var node in graph.Nodes) w.Message(GraphNode, n => WriteNode(n, node));
        w.String(GraphName, graph.Name);
        foreach (var tensor in graph.Initializers) w.Message(GraphInitializer, t => WriteTensor(t, tensor));
        foreach (var input in graph.Inputs) w.Message(GraphInput, v => WriteValue(v, input));
        foreach (var output in graph.Outputs) w.Message(GraphOutput, v => WriteValue(v, output));
    }

    static void WriteNode(ProtobufWriter w, OnnxGraph.Node node)
    {
        foreach (var input in node.Inputs) w.String(NodeInput, input);
        foreach (var output in node.Outputs) w.String(NodeOutput, output);
        w.String(NodeName, node.Name);
        w.String(NodeOpType, node.OpType);
        foreach (var attribute in node.Attributes) w.Message(NodeAttribute, a => WriteAttribute(a, attribute));
    }

    static void WriteAttribute(ProtobufWriter w, OnnxGraph.Attr attribute)
    {
        w.String(AttributeName, attribute.Name);
        if (attribute.Float is float f) w.Float(AttributeFloat, f);
        if (attribute.Int is long i) w.Int64(AttributeInt, i);
        if (attribute.Text is string s) w.String(AttributeString, s);
        foreach (long value in attribute.Ints ?? []) w.Int64(AttributeInts, value);
        w.Int64(AttributeType, attribute.Float != null ? TypeFloat : attribute.Int != null ? TypeInt : attribute.Text != null ? TypeString : TypeInts);
    }

    static void WriteTensor(ProtobufWriter w, OnnxGraph.Tensor tensor)
    {
        foreach (long dim in tensor.Dims) w.Int64(TensorDims, dim);
        w.Int64(TensorDataType, (long)tensor.Type);
        w.String(TensorName, tensor.Name);
        w.Bytes(TensorRawData, tensor.Floats != null ? MemoryMarshal.AsBytes(tensor.Floats.AsSpan())
            : tensor.Int8s != null ? MemoryMarshal.AsBytes(tensor.Int8s.AsSpan()) : MemoryMarshal.AsBytes(tensor.Int64s.AsSpan()));
    }

    static void WriteValue(ProtobufWriter w, OnnxGraph.Value value)
    {
        w.String(ValueName, value.Name);
        w.Message(ValueType, type => type.Message(TypeTensor, tensor =>
        {
            tensor.Int64(TensorElemType, (long)value.Type);
            tensor.Message(TensorShape, shape =>
            {
                foreach (var dim in value.Shape)
                    shape.Message(ShapeDim, d =>
                    {
                        if (dim.Symbol != null) d.String(DimParam, dim.Symbol);
                        else d.Int64(DimValue, dim.Size);
                    });
            });
        }));
    }
}

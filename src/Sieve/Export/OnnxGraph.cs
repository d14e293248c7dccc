namespace Sieve.Export;

/// <summary>
/// An ONNX graph being built: nodes in execution order, initializers (weights and constants), and the
/// typed graph inputs and outputs. Values are referred to by name; <see cref="Op"/>
/// invents a fresh name for each node's output.
/// </summary>
internal sealed class OnnxGraph(string name)
{
    /// <summary>Element types, numbered as ONNX's <c>TensorProto.DataType</c>.</summary>
    public enum DataType
    {
        /// <summary>float32.</summary>
        Float = 1,
        /// <summary>int8 (quantized weights and their zero points).</summary>
        Int8 = 3,
        /// <summary>int64.</summary>
        Int64 = 7,
    }

    /// <summary>One dimension of a graph input or output: a fixed size, or a named size chosen at run time.</summary>
    public readonly record struct Dim(long Size, string? Symbol)
    {
        public static implicit operator Dim(long size) => new(size, null);
        public static implicit operator Dim(string symbol) => new(0, symbol);
    }

    /// <summary>A graph input or output.</summary>
    public sealed record Value(string Name, DataType Type, Dim[] Shape);

    /// <summary>An initializer: float32, int64 or int8 values, row-major in <see cref="Dims"/> (no dims: a scalar).</summary>
    public sealed record Tensor(string Name, long[] Dims, float[]? Floats, long[]? Int64s, sbyte[]? Int8s = null)
    {
        public DataType Type => Floats != null ? DataType.Float : Int8s != null ? DataType.Int8 : DataType.Int64;
    }

    /// <summary>A node attribute holding one int, one float, or a list of ints.</summary>
    public sealed record Attr(string Name, long? Int = null, float? Float = null, long[]? Ints = null, string? Text = null)
    {
        public static Attr Of(string name, string value) => new(name, Text: value);
        public static Attr Of(string name, long value) => new(name, Int: value);
        public static Attr Of(string name, float value) => new(name, Float: value);
        public static Attr Of(string name, params long[] values) => new(name, Ints: values);
    }

    /// <summary>One operator application (default ONNX domain).</summary>
    public sealed record Node(string OpType, string Name, string[] Inputs, string[] Outputs, Attr[] Attributes);

    readonly List<Node> _nodes = [];
    readonly List<Tensor> _initializers = [];
    readonly List<Value> _inputs = [], _outputs = [];
    readonly Dictionary<string, string> _constants = [];
    readonly HashSet<string> _weightNames = [];

    /// <summary>The graph's name.</summary>
    public string Name => name;

    public IReadOnlyList<Node> Nodes => _nodes;
    public IReadOnlyList<Tensor> Initializers => _initializers;
    public IReadOnlyList<Value> Inputs => _inputs;
    public IReadOnlyList<Value> Outputs => _outputs;

    /// <summary>
    /// Elements of the model's own weights (<see cref="Weight"/>, <see cref="Int8Weight"/>; in an int8 graph each quantized
    /// layer's scales and zero points too), not counting the shape and mask constants.
    /// </summary>
    public long Parameters { get; private set; }

    /// <summary>Declares a graph input and returns its name.</summary>
    public string Input(string inputName, DataType type, params Dim[] shape)
    {
        _inputs.Add(new Value(inputName, type, shape));
        return inputName;
    }

    /// <summary>Declares <paramref name="value"/>, a node output, as a graph output.</summary>
    public void Output(string value, DataType type, params Dim[] shape) => _outputs.Add(new Value(value, type, shape));

    /// <summary>
    /// A float32 weight taken from the checkpoint, stored under <paramref name="weightName"/>; a module used twice in one
    /// graph (BLIP's text encoder, with and without the image) stores its weight once, under the first use's name.
    /// </summary>
    public string Weight(string weightName, float[] values, params long[] dims) => Store(new Tensor(weightName, dims, values, null), values.Length);

    /// <summary>An int8 weight (a quantized layer's values or zero points), stored once like <see cref="Weight"/>.</summary>
    public string Int8Weight(string weightName, sbyte[] values, params long[] dims) => Store(new Tensor(weightName, dims, null, null, values), values.Length);

    string Store(Tensor tensor, long count)
    {
        if (count != tensor.Dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"weight '{tensor.Name}' has {count} values for dims [{string.Join(", ", tensor.Dims)}]");
        if (!_weightNames.Add(tensor.Name)) return tensor.Name;
        _initializers.Add(tensor);
        Parameters += count;
        return tensor.Name;
    }

    /// <summary>A float32 scalar constant (shared between uses).</summary>
    public string Scalar(float value) => Constant($"f32 {value:R}", n => new Tensor(n, [], [value], null));

    /// <summary>A 1-D int64 constant such as a shape or axes list (shared between uses).</summary>
    public string Int64s(params long[] values) =>
        Constant($"i64 [{string.Join(",", values)}]", n => new Tensor(n, [values.Length], null, values));

    /// <summary>An int64 scalar constant (shared between uses).</summary>
    public string Int64Scalar(long value) => Constant($"i64 {value}", n => new Tensor(n, [], null, [value]));

    /// <summary>A float32 constant tensor that is not a weight (a mask, a ramp).</summary>
    public string FloatConstant(string constantName, float[] values, params long[] dims)
    {
        _initializers.Add(new Tensor(constantName, dims, values, null));
        return constantName;
    }

    string Constant(string key, Func<string, Tensor> create)
    {
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var tensor = create($"const_{_constants.Count}");
        _initializers.Add(tensor);
        _constants[key] = tensor.Name;
        return tensor.Name;
    }

    /// <summary>Adds a node with one output and returns the output's (fresh) name.</summary>
    public string Op(string opType, string[] inputs, params Attr[] attributes) => Add(opType, inputs, null, 1, attributes)[0];

    /// <summary>Adds a node whose one output is named <paramref name="output"/> (a graph output).</summary>
    public string OpTo(string output, string opType, string[] inputs, params Attr[] attributes) => Add(opType, inputs, output, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs and returns their (fresh) names.</summary>
    public string[] Ops(string opType, string[] inputs, int outputs, params Attr[] attributes) => Add(opType, inputs, null, outputs, attributes);

    string[] Add(string opType, string[] inputs, string? output, int outputs, Attr[] attributes)
    {
        string nodeName = $"{opType}_{_nodes.Count}";
        string[] names = output != null ? [output] : Enumerable.Range(0, outputs).Select(i => $"{nodeName}:{i}").ToArray();
        _nodes.Add(new Node(opType, nodeName, inputs, names, attributes));
        return names;
    }
}

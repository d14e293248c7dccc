namespace Sieve.Weights;

/// <summary>
/// Finds the state dict in what a <c>torch.save</c> file holds: the dict of tensors itself, or one wrapped by a
/// training checkpoint (<c>{"state_dict": …}</c>, <c>{"model": …}</c>, nested a few levels), with the
/// <c>module.</c> prefix of <c>DataParallel</c> removed when every name has it.
/// </summary>
internal static class TorchStateDict
{
    /// <summary>Keys a training checkpoint keeps its weights under, in the order they are tried.</summary>
    static readonly string[] Wrappers = ["state_dict", "model", "model_state_dict", "module", "net"];

    /// <summary>How many wrappers deep the search goes.</summary>
    const int MaxDepth = 8;

    const string DataParallelPrefix = "module.";

    /// <summary>The named tensors of the state dict in <paramref name="root"/>, in the file's order.</summary>
    /// <exception cref="SieveFormatException">No state dict is found, or it holds something other than tensors under string names.</exception>
    public static List<(string Name, TorchTensor Tensor)> Find(object? root, string source)
    {
        object? current = root;
        string trail = "the top level";
        for (int depth = 0; depth < MaxDepth; depth++)
        {
            if (current is not PickleDict dict)
                throw new SieveFormatException($"{source}: {trail} is {PickleDict.Kind(current)}; expected a state dict (a dict of tensors)");
            if (dict.Items.Any(item => item.Value is TorchTensor)) return Tensors(dict, trail, source);
            string? wrapper = Wrappers.FirstOrDefault(key => dict.Get(key) is PickleDict);
            if (wrapper == null)
            {
                var keys = dict.Items.Take(8).Select(item => PickleDict.Describe(item.Key)).ToList();
                throw new SieveFormatException(
                    $"{source}: {trail} holds no tensors ({(keys.Count == 0 ? "it is empty" : "keys " + string.Join(", ", keys) + (dict.Count > 8 ? ", …" : ""))}); " +
                    $"expected a state dict, or one under {string.Join(", ", Wrappers.Select(w => $"'{w}'"))}");
            }
            current = dict.Get(wrapper);
            trail = $"{(depth == 0 ? "" : trail)}['{wrapper}']";
        }
        throw new SieveFormatException($"{source}: no state dict within {MaxDepth} levels of nesting");
    }

    static List<(string Name, TorchTensor Tensor)> Tensors(PickleDict dict, string trail, string source)
    {
        var tensors = new List<(string Name, TorchTensor Tensor)>(dict.Count);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
                throw new SieveFormatException($"{source}: the state dict at {trail} has the key {PickleDict.Describe(key)}; tensor names must be strings");
            if (value is not TorchTensor tensor)
                throw new SieveFormatException($"{source}: the state dict at {trail} holds {PickleDict.Kind(value)} under '{name}'; expected only tensors");
            tensors.Add((name, tensor));
        }
        if (tensors.TrueForAll(t => t.Name.StartsWith(DataParallelPrefix, StringComparison.Ordinal)))
            return tensors.ConvertAll(t => (t.Name[DataParallelPrefix.Length..], t.Tensor));
        return tensors;
    }
}

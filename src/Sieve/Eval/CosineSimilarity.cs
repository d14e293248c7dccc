using System.Numerics.Tensors;

namespace Sieve.Eval;

/// <summary>
/// Cosine similarity of embeddings, in double: what dual encoders rank by and what fidelity to the dense model is
/// measured in. A zero or non-finite embedding has no direction, so it is refused rather than given a NaN.
/// </summary>
internal static class CosineSimilarity
{
    /// <summary>cos(a, b) = a·b ÷ (‖a‖ ‖b‖).</summary>
    public static double Of(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors of {a.Length} and {b.Length} values", nameof(b));
        return TensorPrimitives.Dot<double>(Unit(a, "first vector"), Unit(b, "second vector"));
    }

    /// <summary>
    /// Every row against every column: [rows.Count, columns.Count] (images × texts for retrieval; a set against itself
    /// for nearest neighbours, where the result is exactly symmetric).
    /// </summary>
    /// <param name="rows">Embeddings, all of one width.</param>
    /// <param name="columns">Embeddings of the same width.</param>
    /// <param name="rowName">What a row is, for errors ("image").</param>
    /// <param name="columnName">What a column is, for errors ("text").</param>
    public static double[,] Matrix(IReadOnlyList<float[]> rows, IReadOnlyList<float[]> columns, string rowName = "row", string columnName = "column")
    {
        var r = Units(rows, rowName);
        var c = ReferenceEquals(rows, columns) ? r : Units(columns, columnName);
        if (r.Length > 0 && c.Length > 0 && r[0].Length != c[0].Length)
            throw new ArgumentException($"{rowName} embeddings have {r[0].Length} values but {columnName} embeddings {c[0].Length}", nameof(columns));
        var m = new double[r.Length, c.Length];
        for (int i = 0; i < r.Length; i++)
            for (int j = 0; j < c.Length; j++)
                m[i, j] = ReferenceEquals(r, c) && j < i ? m[j, i] : TensorPrimitives.Dot<double>(r[i], c[j]);
        return m;
    }

    static double[][] Units(IReadOnlyList<float[]> vectors, string name)
    {
        var units = new double[vectors.Count][];
        for (int i = 0; i < vectors.Count; i++)
        {
            if (vectors[i].Length != vectors[0].Length)
                throw new ArgumentException($"{name} {i} has {vectors[i].Length} values but {name} 0 has {vectors[0].Length}");
            units[i] = Unit(vectors[i], $"{name} {i}");
        }
        return units;
    }

    /// <summary>x ÷ ‖x‖ in double.</summary>
    static double[] Unit(ReadOnlySpan<float> x, string name)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i];
        double norm = TensorPrimitives.Norm<double>(y);
        if (!(norm > 0) || !double.IsFinite(norm)) throw new ArgumentException($"{name} has norm {norm}: a cosine needs a finite, non-zero vector");
        TensorPrimitives.Divide(y, norm, y);
        return y;
    }
}

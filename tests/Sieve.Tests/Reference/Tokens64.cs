namespace Sieve.Tests.Reference;

/// <summary>
/// A reduced sequence in float64 for the reference reducers: rows, sizes, protected and image flags, the
/// source map (original token → current index, −1 once pruned), the guide and the cross token.
/// </summary>
public sealed class Tokens64
{
    public const int Fused = -1, Dropped = -2;

    public List<double[]> X { get; private set; }
    public List<double> Size { get; private set; }
    public List<bool> Protected { get; private set; }
    public List<bool> Image { get; private set; }
    public int[] Source { get; }
    public int Guide { get; set; }
    public int Cross { get; set; } = -1;
    public int Count => X.Count;
    public int Width => X[0].Length;

    public Tokens64(double[] x, int d, bool[] image)
    {
        X = Enumerable.Range(0, x.Length / d).Select(i => x[(i * d)..((i + 1) * d)]).ToList();
        Size = X.Select(_ => 1.0).ToList();
        Protected = X.Select(_ => false).ToList();
        Image = image.ToList();
        Source = Enumerable.Range(0, Count).ToArray();
    }

    public int Candidates => Protected.Count(p => !p);

    /// <summary>Appends a protected copy of token <paramref name="of"/> as the cross token.</summary>
    public void AppendCross(int of)
    {
        X.Add((double[])X[of].Clone());
        Size.Add(1);
        Protected.Add(true);
        Image.Add(Image[of]);
        Cross = Count - 1;
    }

    /// <summary>Per modality (in order of first appearance), its tokens in sequence order, protected ones included.</summary>
    public List<int[]> Slices()
    {
        var slices = new List<int[]>();
        foreach (bool kind in Image.Distinct()) slices.Add(Enumerable.Range(0, Count).Where(i => Image[i] == kind).ToArray());
        return slices;
    }

    /// <summary>
    /// target[i] = i keeps i, = j (a survivor) merges i into j, <see cref="Fused"/> fuses i into one token
    /// after all survivors, <see cref="Dropped"/> removes it. Survivors come in <paramref name="order"/>
    /// (null: sequence order); each output is the <paramref name="weight"/>-weighted mean of its members.
    /// </summary>
    public void Merge(int[] target, IEnumerable<int>? order, double[] weight)
    {
        var outputs = (order ?? Enumerable.Range(0, Count).Where(i => target[i] == i)).Select(s => Enumerable.Range(0, Count).Where(i => target[i] == s).ToArray()).ToList();
        var fused = Enumerable.Range(0, Count).Where(i => target[i] == Fused).ToArray();
        if (fused.Length > 0) outputs.Add(fused);
        var map = Enumerable.Repeat(-1, Count).ToArray();
        for (int o = 0; o < outputs.Count; o++)
            foreach (int i in outputs[o]) map[i] = o;
        if (Enumerable.Range(0, Count).Any(i => map[i] < 0 && target[i] != Dropped)) throw new InvalidOperationException("the order leaves out a survivor");

        var x = new List<double[]>();
        foreach (var members in outputs)
        {
            var row = new double[Width];
            double total = members.Sum(i => weight[i]);
            foreach (int i in members)
                for (int c = 0; c < Width; c++) row[c] += weight[i] / total * X[i][c];
            x.Add(members.Length == 1 ? X[members[0]] : row);
        }
        Size = outputs.Select(m => m.Sum(i => Size[i])).ToList();
        Protected = outputs.Select(m => m.Length == 1 && Protected[m[0]]).ToList();
        Image = outputs.Select(m => Image[m[0]]).ToList();
        X = x;
        for (int o = 0; o < Source.Length; o++)
            if (Source[o] >= 0) Source[o] = map[Source[o]];
        if (Guide >= 0) Guide = map[Guide];
        if (Cross >= 0) Cross = map[Cross];
    }
}

/// <summary>What one attention call exposes to a reducer: q, k, v [N, D], probabilities [H, N, N], per-head outputs [N, D].</summary>
public sealed record Capture64(double[] Q, double[] K, double[] V, double[] P, double[] O, int N, int D, int H)
{
    public double[] Key(int i) => K[(i * D)..((i + 1) * D)];
    public double[] Query(int i) => Q[(i * D)..((i + 1) * D)];
}

/// <summary>
/// The smallest gap between the choice a reference reducer made and the runner-up, over every decision of
/// a forward: when it exceeds what float32 rounding can move a score, the float32 library must choose alike.
/// </summary>
public sealed class Margins
{
    public double Min { get; private set; } = double.PositiveInfinity;
    public int Decisions { get; private set; }

    public void Gap(double chosen, double next)
    {
        if (double.IsNegativeInfinity(next)) return;
        Decisions++;
        Min = Math.Min(Min, Math.Abs(chosen - next));
    }
}

/// <summary>A float64 reference reducer (hooks as ALGORITHMS.md places them).</summary>
public interface IReducer64
{
    void Begin(Tokens64 tokens) { }
    void BeforeLayer(int layer, Tokens64 tokens) { }
    void Reduce(int layer, Tokens64 tokens, Capture64 attention, Margins margins);
}

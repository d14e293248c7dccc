using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// The tokens of one sequence inside a tower: features [Count, Width], sizes (how many original tokens
/// each stands for), protected flags (never merged or pruned), the source map (which current token
/// each original token now belongs to, or −1 once pruned), the modality of every token (a fusion
/// model's single stream holds text and image tokens) and the guide token. Reducers change it only
/// through <see cref="Apply"/>, which keeps all of these consistent and never lets one output token mix
/// modalities.
/// </summary>
public sealed class TokenSet : IDisposable
{
    float[] _x;
    float[] _sizes;
    bool[] _protected;
    Modality[] _modalities;
    readonly int[] _source;
    readonly int _capacity;

    /// <param name="modality">Kind of tokens.</param>
    /// <param name="count">Initial number of tokens (all of size 1).</param>
    /// <param name="width">Feature width D.</param>
    /// <param name="capacity">Most tokens the set will ever hold (initial count plus appended cross tokens).</param>
    public TokenSet(Modality modality, int count, int width, int capacity)
        : this(Enumerable.Repeat(modality, Math.Max(count, 0)).ToArray(), width, capacity)
    {
    }

    /// <param name="modalities">The modality of every initial token (all of size 1), e.g. text then image for ViLT.</param>
    /// <param name="width">Feature width D.</param>
    /// <param name="capacity">Most tokens the set will ever hold.</param>
    public TokenSet(ReadOnlySpan<Modality> modalities, int width, int capacity)
    {
        int count = modalities.Length;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, count);
        if (modalities.Contains(Modality.Multimodal)) throw new ArgumentException("a token is either image or text; Multimodal describes a set", nameof(modalities));
        Modality = modalities.IndexOfAnyExcept(modalities[0]) < 0 ? modalities[0] : Modality.Multimodal;
        _modalities = new Modality[capacity];
        modalities.CopyTo(_modalities);
        Count = count;
        Width = width;
        _capacity = capacity;
        _x = ActivationMemory.Rent(capacity * width);
        _sizes = new float[capacity];
        _sizes.AsSpan().Fill(1f);
        _protected = new bool[capacity];
        _source = new int[count];
        for (int i = 0; i < count; i++) _source[i] = i;
    }

    /// <summary>Kind of tokens: <see cref="Modality.Multimodal"/> when the set holds both.</summary>
    public Modality Modality { get; }

    /// <summary>Modality of every token [Count] (image or text).</summary>
    public ReadOnlySpan<Modality> Modalities => _modalities.AsSpan(0, Count);

    /// <summary>Current number of tokens.</summary>
    public int Count { get; private set; }

    /// <summary>Feature width D.</summary>
    public int Width { get; }

    /// <summary>Features [Count, Width], row-major.</summary>
    public Span<float> Features => _x.AsSpan(0, Count * Width);

    /// <summary>The feature buffer itself (for kernels that need an array); rows past <see cref="Count"/> are scratch.</summary>
    internal float[] FeatureArray => _x;

    /// <summary>Features of token <paramref name="i"/>.</summary>
    public Span<float> Row(int i) => _x.AsSpan(i * Width, Width);

    /// <summary>Sizes [Count]: how many original tokens each current token stands for.</summary>
    public ReadOnlySpan<float> Sizes => _sizes.AsSpan(0, Count);

    /// <summary>Protected flags [Count].</summary>
    public ReadOnlySpan<bool> Protected => _protected.AsSpan(0, Count);

    /// <summary>For each original token, the index of the current token it belongs to; −1 once pruned away.</summary>
    public ReadOnlySpan<int> Source => _source;

    /// <summary>Current index of the guide token (class token, end-of-text or cross token); −1 if none.</summary>
    public int Guide { get; set; } = -1;

    /// <summary>Index of the appended cross token, or −1.</summary>
    public int CrossToken { get; private set; } = -1;

    /// <summary>Whether sizes are no longer all 1, so attention should add log(size) to key logits.</summary>
    public bool SizesDiffer { get; private set; }

    /// <summary>Marks token <paramref name="i"/> as never merged or pruned.</summary>
    public void Protect(int i) => _protected[CheckIndex(i)] = true;

    /// <summary>The class token of <paramref name="modality"/>: its first protected token, or −1.</summary>
    public int ClassToken(Modality modality)
    {
        for (int i = 0; i < Count; i++)
            if (_protected[i] && _modalities[i] == modality) return i;
        return -1;
    }

    /// <summary>
    /// Per token, the group it may merge within: its modality for candidates, −1 for protected tokens.
    /// Matchers pair tokens only inside one group, so a fusion model never merges text into image.
    /// </summary>
    public int[] MergeGroups()
    {
        var group = new int[Count];
        for (int i = 0; i < Count; i++) group[i] = _protected[i] ? -1 : (int)_modalities[i];
        return group;
    }

    /// <summary>
    /// The tokens of each modality in sequence order, protected ones included: the slices ToMe's parity
    /// split counts positions in (ALGORITHMS.md §1 step 2), modalities in order of their first token.
    /// </summary>
    internal int[][] ModalitySlices() =>
        Enumerable.Range(0, Count).GroupBy(i => _modalities[i]).Select(g => g.ToArray()).ToArray();

    /// <summary>Number of tokens a reducer may merge or prune.</summary>
    public int Candidates
    {
        get
        {
            int n = 0;
            foreach (bool p in Protected) if (!p) n++;
            return n;
        }
    }

    /// <summary>Appends a protected copy of token <paramref name="of"/> as the cross token (before any reduction).</summary>
    public int AppendCrossToken(int of)
    {
        if (CrossToken >= 0) throw new InvalidOperationException("the set already has a cross token");
        if (Count == _capacity) throw new InvalidOperationException($"token set is full ({_capacity} tokens)");
        Row(CheckIndex(of)).CopyTo(_x.AsSpan(Count * Width, Width));
        _modalities[Count] = _modalities[of];
        CrossToken = Count++;
        _protected[CrossToken] = true;
        return CrossToken;
    }

    /// <summary>Writes log(size) per token into <paramref name="log"/> [Count], for proportional attention.</summary>
    public void LogSizes(Span<float> log) => System.Numerics.Tensors.TensorPrimitives.Log(Sizes, log[..Count]);

    /// <summary>
    /// Carries out a plan: each output token is the weighted average of its members' features, its size
    /// is the sum of theirs; single-member slots are copied exactly; dropped tokens vanish with their
    /// sizes. Protected tokens must stay alone, and no output token may mix modalities.
    /// </summary>
    public void Apply(MergePlan plan)
    {
        int n = Count, d = Width, m = plan.OutputCount;
        if (plan.Slot.Count != n) throw new ArgumentException($"plan is for {plan.Slot.Count} tokens, set has {n}", nameof(plan));
        var members = new int[m];
        var modalities = new Modality[_capacity];
        for (int i = 0; i < n; i++)
        {
            int j = plan.Slot[i];
            if (j == MergePlan.Dropped)
            {
                if (_protected[i]) throw new InvalidOperationException($"plan drops protected token {i}");
                continue;
            }
            if (members[j]++ > 0 && modalities[j] != _modalities[i])
                throw new InvalidOperationException($"plan merges {_modalities[i].ToString().ToLowerInvariant()} token {i} into a {modalities[j].ToString().ToLowerInvariant()} token");
            modalities[j] = _modalities[i];
        }
        for (int i = 0; i < n; i++)
            if (_protected[i] && members[plan.Slot[i]] != 1)
                throw new InvalidOperationException($"plan merges protected token {i}");

        var x = ActivationMemory.Rent(_capacity * d);
        var sizes = new float[_capacity];
        var isProtected = new bool[_capacity];
        var weightSum = new double[m];
        x.AsSpan(0, m * d).Clear();
        // Accumulate in token order: the same sums on every run and thread count.
        for (int i = 0; i < n; i++)
        {
            int j = plan.Slot[i];
            if (j == MergePlan.Dropped) continue;
            var dst = x.AsSpan(j * d, d);
            if (members[j] == 1) Row(i).CopyTo(dst);
            else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(Row(i), plan.Weight[i], dst, dst);
            sizes[j] += _sizes[i];
            isProtected[j] = _protected[i];
            weightSum[j] += plan.Weight[i];
        }
        for (int j = 0; j < m; j++)
        {
            if (members[j] == 1) continue;
            if (!(weightSum[j] > 0)) throw new InvalidOperationException($"merge weights of output token {j} sum to {weightSum[j]}");
            System.Numerics.Tensors.TensorPrimitives.Multiply(x.AsSpan(j * d, d), (float)(1 / weightSum[j]), x.AsSpan(j * d, d));
        }

        ActivationMemory.Return(_x, _capacity * d);
        _x = x;
        _sizes = sizes;
        _protected = isProtected;
        _modalities = modalities;
        for (int o = 0; o < _source.Length; o++)
            if (_source[o] >= 0) _source[o] = Math.Max(plan.Slot[_source[o]], -1); // dropped → −1
        if (Guide >= 0) Guide = plan.Slot[Guide];
        if (CrossToken >= 0) CrossToken = plan.Slot[CrossToken];
        if (m != n) SizesDiffer = true;
        Count = m;
    }

    int CheckIndex(int i) => (uint)i < (uint)Count ? i : throw new ArgumentOutOfRangeException(nameof(i), i, $"token index outside 0…{Count - 1}");

    /// <inheritdoc />
    public void Dispose()
    {
        if (_x.Length > 0) ActivationMemory.Return(_x, _capacity * Width);
        _x = [];
    }
}

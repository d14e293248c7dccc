using System.Diagnostics;

namespace Sieve.Tensors;

/// <summary>What a slice of a forward's time was spent on (<see cref="OpProfile"/>).</summary>
internal enum OpKind
{
    /// <summary>Unfolding the image into patches and their projection.</summary>
    PatchEmbedding,
    /// <summary>Every LayerNorm, pre- or post-norm, and Llama's RMSNorm.</summary>
    LayerNorm,
    /// <summary>The attention's input projections (self-attention's fused q, k, v; cross-attention's q and context k, v).</summary>
    QkvProjection,
    /// <summary>Rotary position embedding of a decoder's queries and keys.</summary>
    Rotary,
    /// <summary>Appending a decoder's new keys and values to its cache.</summary>
    KeyValueCache,
    /// <summary>The attention's output projection.</summary>
    OutProjection,
    /// <summary>q·kᵀ of every head.</summary>
    AttentionScores,
    /// <summary>Scaling, key bias and softmax of the scores.</summary>
    Softmax,
    /// <summary>The probabilities times v, every head.</summary>
    AttentionValues,
    /// <summary>The MLP's first linear layer (its bias; its activation is <see cref="Activation"/>); Llama's stacked gate and up projections.</summary>
    Fc1,
    /// <summary>The MLP's second linear layer (Llama's down projection).</summary>
    Fc2,
    /// <summary>GELU / QuickGELU, fused into the first MLP layer's GEMM; Llama's SiLU gate.</summary>
    Activation,
    /// <summary>The residual sums.</summary>
    Residual,
    /// <summary>A language model's head: the next token's logits over the vocabulary.</summary>
    Head,
    /// <summary>The block hook: a reducer's matching and merging (and any observer).</summary>
    Reducer,
    /// <summary>A parallel region's fork (queueing the helpers) and join (waiting for the last of them).</summary>
    HandOff,
    /// <summary>Everything else the run did: embeddings, pooling, heads, and time no operation covers.</summary>
    Other,
}

/// <summary>
/// A per-operation time breakdown of profiled runs (<c>sieve bench --profile</c>). Operations open a
/// <see cref="Scope"/> of their <see cref="OpKind"/>; each scope's time, less its nested scopes', goes to its
/// kind, so the kinds partition the profiled runs' time exactly. Only the thread that runs a profiled forward (or
/// one of its samples, <see cref="Threading.ForEachSample"/>) records: inside a parallel region it stands for all
/// of them, its items' time going to their kinds and its wait for the others to <see cref="OpKind.HandOff"/>.
/// </summary>
/// <remarks>
/// Off by default: a scope then costs one read of a static field per operation (never per element), and nothing
/// is computed differently, so results are the same bit for bit with or without a profile. One profile records at
/// a time.
/// </remarks>
internal sealed class OpProfile
{
    /// <summary>The profile recording now; null when none is (the fast path).</summary>
    static OpProfile? _active;

    /// <summary>The profile this thread records into while it runs a profiled forward or sample.</summary>
    [ThreadStatic] static OpProfile? _recording;

    /// <summary>Time of the finished scopes nested in this thread's innermost open one.</summary>
    [ThreadStatic] static long _nestedTicks;

    /// <summary>The kinds, in <see cref="OpKind"/> order.</summary>
    public static IReadOnlyList<OpKind> Kinds { get; } = Enum.GetValues<OpKind>();

    readonly long[] _ticks = new long[Kinds.Count];
    readonly long[] _macs = new long[Kinds.Count];

    /// <summary>Stopwatch ticks recorded for <paramref name="kind"/>, over all threads that recorded.</summary>
    public long Ticks(OpKind kind) => Volatile.Read(ref _ticks[(int)kind]);

    /// <summary>Multiply-adds credited to <paramref name="kind"/> (<see cref="Count"/>).</summary>
    public long Macs(OpKind kind) => Volatile.Read(ref _macs[(int)kind]);

    /// <summary>Milliseconds recorded for <paramref name="kind"/>.</summary>
    public double Milliseconds(OpKind kind) => Ticks(kind) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Milliseconds recorded over every kind.</summary>
    public double TotalMilliseconds => Kinds.Sum(Milliseconds);

    /// <summary>
    /// Runs <paramref name="work"/> on this thread with this profile recording; its time not inside another scope is
    /// <see cref="OpKind.Other"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another profile is recording.</exception>
    public void Record(Action work)
    {
        if (Interlocked.CompareExchange(ref _active, this, null) != null) throw new InvalidOperationException("another profile is recording");
        try { RecordOnThisThread(this, work); }
        finally { _active = null; }
    }

    /// <summary>The profile this thread records into, to pass to the threads that run its samples; null when none.</summary>
    internal static OpProfile? Current => _active == null ? null : _recording;

    /// <summary>Runs <paramref name="work"/> with this thread recording into <paramref name="profile"/> (a sample of a profiled batch); just runs it when null.</summary>
    internal static void RecordOnThisThread(OpProfile? profile, Action work)
    {
        if (profile == null || _recording != null)
        {
            work();
            return;
        }
        _recording = profile;
        _nestedTicks = 0;
        try
        {
            using var root = Time(OpKind.Other);
            work();
        }
        finally { _recording = null; }
    }

    /// <summary>Opens a scope of <paramref name="kind"/> on this thread; dispose it when the operation ends.</summary>
    /// <param name="kind">What the operation is.</param>
    /// <param name="macs">Multiply-adds of the whole operation (all threads'), for its rate; 0 when it has none to speak of.</param>
    public static Scope Time(OpKind kind, long macs = 0) => _active == null ? default : Open(kind, macs);

    static Scope Open(OpKind kind, long macs)
    {
        var profile = _recording;
        if (profile == null) return default;
        if (macs != 0) Interlocked.Add(ref profile._macs[(int)kind], macs);
        long outer = _nestedTicks;
        _nestedTicks = 0;
        return new Scope(profile, kind, outer, Stopwatch.GetTimestamp());
    }

    /// <summary>Credits <paramref name="macs"/> multiply-adds to <paramref name="kind"/> without timing anything (work whose time is taken piecewise).</summary>
    public static void Count(OpKind kind, long macs)
    {
        if (_active != null && _recording is { } profile) Interlocked.Add(ref profile._macs[(int)kind], macs);
    }

    /// <summary>An open timing of one operation on one thread; the default value records nothing.</summary>
    internal readonly struct Scope(OpProfile? profile, OpKind kind, long outerNested, long start) : IDisposable
    {
        public void Dispose()
        {
            if (profile == null) return;
            long elapsed = Stopwatch.GetTimestamp() - start;
            Interlocked.Add(ref profile._ticks[(int)kind], elapsed - _nestedTicks);
            _nestedTicks = outerNested + elapsed;
        }
    }
}

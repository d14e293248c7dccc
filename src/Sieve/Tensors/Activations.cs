using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sieve.Tensors;

/// <summary>In-place element-wise activations, vectorised with <see cref="Vector{T}"/>.</summary>
public static class Activations
{
    /// <summary>Applies <paramref name="activation"/> to every element of <paramref name="x"/>.</summary>
    public static void Apply(Span<float> x, Activation activation)
    {
        switch (activation)
        {
            case Activation.Gelu: Gelu(x); break;
            case Activation.QuickGelu: QuickGelu(x); break;
        }
    }

    /// <summary>Exact GELU: 0.5·x·(1 + erf(x/√2)); erf to about 2e-7 absolute.</summary>
    public static void Gelu(Span<float> x) => Map<GeluFunction>(x);

    /// <summary>QuickGELU: x·σ(1.702·x).</summary>
    public static void QuickGelu(Span<float> x) => Map<QuickGeluFunction>(x);

    interface IVectorFunction
    {
        static abstract Vector<float> Apply(Vector<float> x);
    }

    // Whole vectors in place; the tail goes through the same vector code one element at a time, so every
    // element gets the same formula wherever it sits.
    static void Map<TFunction>(Span<float> x) where TFunction : IVectorFunction
    {
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(x);
        for (int v = 0; v < vectors.Length; v++) vectors[v] = TFunction.Apply(vectors[v]);
        for (int i = vectors.Length * Vector<float>.Count; i < x.Length; i++) x[i] = TFunction.Apply(new Vector<float>(x[i]))[0];
    }

    readonly struct QuickGeluFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Apply(Vector<float> x) =>
            x / (Vector<float>.One + Vector.Exp(x * new Vector<float>(-1.702f)));
    }

    // erf(z) = 1 − (a1·t + … + a5·t⁵)·exp(−z²), t = 1/(1 + p·z), z ≥ 0 (Abramowitz & Stegun 7.1.26,
    // |error| ≤ 1.5e-7). With z = |x|/√2, exp(−z²) = exp(−x²/2).
    readonly struct GeluFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Apply(Vector<float> x)
        {
            var z = Vector.Abs(x) * new Vector<float>(0.70710678f);
            var t = Vector<float>.One / (Vector<float>.One + new Vector<float>(0.3275911f) * z);
            var poly = new Vector<float>(1.061405429f);
            poly = Vector.FusedMultiplyAdd(poly, t, new Vector<float>(-1.453152027f));
            poly = Vector.FusedMultiplyAdd(poly, t, new Vector<float>(1.421413741f));
            poly = Vector.FusedMultiplyAdd(poly, t, new Vector<float>(-0.284496736f));
            poly = Vector.FusedMultiplyAdd(poly, t, new Vector<float>(0.254829592f));
            poly *= t;
            var erfAbs = Vector<float>.One - poly * Vector.Exp(-z * z);
            var erf = Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -erfAbs, erfAbs);
            return new Vector<float>(0.5f) * x * (Vector<float>.One + erf);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sieve.Tensors;

/// <summary>In-place element-wise activations at the machine's full vector width (512, 256 or 128 bits).</summary>
internal static class Activations
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

    static void Map<TFunction>(Span<float> x) where TFunction : IVectorFunction
    {
        if (Vector512.IsHardwareAccelerated) Map<F512, TFunction>(x);
        else if (Vector256.IsHardwareAccelerated) Map<F256, TFunction>(x);
        else Map<F128, TFunction>(x);
    }

    // Whole vectors in place; the tail goes through the same formula one element per 128-bit vector, so
    // every element gets the same result wherever it sits.
    static void Map<TV, TFunction>(Span<float> x) where TV : unmanaged, IFloatVector<TV> where TFunction : IVectorFunction
    {
        var vectors = MemoryMarshal.Cast<float, TV>(x);
        for (int v = 0; v < vectors.Length; v++) vectors[v] = TFunction.Apply(vectors[v]);
        for (int i = vectors.Length * TV.Count; i < x.Length; i++) x[i] = TFunction.Apply(F128.Create(x[i])).First;
    }

    interface IVectorFunction
    {
        static abstract TV Apply<TV>(TV x) where TV : IFloatVector<TV>;
    }

    readonly struct QuickGeluFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TV>(TV x) where TV : IFloatVector<TV> => x / (TV.Create(1f) + FloatVector.Exp(x * TV.Create(-1.702f)));
    }

    // erf(z) = 1 − (a1·t + … + a5·t⁵)·exp(−z²), t = 1/(1 + p·z), z ≥ 0 (Abramowitz & Stegun 7.1.26,
    // |error| ≤ 1.5e-7), odd in x. With z = |x|/√2, exp(−z²) = exp(−x²/2).
    readonly struct GeluFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TV>(TV x) where TV : IFloatVector<TV>
        {
            var one = TV.Create(1f);
            var z = TV.Abs(x) * TV.Create(0.70710678f);
            var t = one / (one + TV.Create(0.3275911f) * z);
            var poly = TV.Create(1.061405429f);
            poly = TV.Fma(poly, t, TV.Create(-1.453152027f));
            poly = TV.Fma(poly, t, TV.Create(1.421413741f));
            poly = TV.Fma(poly, t, TV.Create(-0.284496736f));
            poly = TV.Fma(poly, t, TV.Create(0.254829592f));
            poly *= t;
            var erf = TV.CopySign(one - poly * FloatVector.Exp(-(z * z)), x);
            return TV.Create(0.5f) * x * (one + erf);
        }
    }
}

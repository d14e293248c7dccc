using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sieve.Tensors;

/// <summary>In-place element-wise activations at the machine's full vector width (512, 256 or 128 bits).</summary>
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

    static void Map<TFunction>(Span<float> x) where TFunction : IVectorFunction
    {
        if (Vector512.IsHardwareAccelerated) Map<F512, TFunction>(x);
        else if (Vector256.IsHardwareAccelerated) Map<F256, TFunction>(x);
        else Map<F128, TFunction>(x);
    }

    // Whole vectors in place; the tail goes through the same vector code one element at a time, so every
    // element gets the same formula wherever it sits.
    static void Map<TV, TFunction>(Span<float> x) where TV : unmanaged, IFloatVector<TV> where TFunction : IVectorFunction
    {
        var vectors = MemoryMarshal.Cast<float, TV>(x);
        for (int v = 0; v < vectors.Length; v++) vectors[v] = TFunction.Apply(vectors[v]);
        for (int i = vectors.Length * (Unsafe.SizeOf<TV>() / sizeof(float)); i < x.Length; i++)
            x[i] = TFunction.Apply(TV.Create(x[i])).First;
    }

    interface IVectorFunction
    {
        static abstract TV Apply<TV>(TV x) where TV : IFloatVector<TV>;
    }

    readonly struct QuickGeluFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply<TV>(TV x) where TV : IFloatVector<TV> => x / (TV.Create(1f) + TV.Exp(x * TV.Create(-1.702f)));
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
            var erf = TV.CopySign(one - poly * TV.Exp(-(z * z)), x);
            return TV.Create(0.5f) * x * (one + erf);
        }
    }

    /// <summary>
    /// The arithmetic the formulas use, so each is written once for every vector width. (Vector512&lt;T&gt;
    /// and its siblings do not expose their operators as generic-math interfaces, hence the thin wrappers.)
    /// Wrapper members are forced inline: a call, e.g. to the large Exp, would pass vectors through memory.
    /// </summary>
    interface IFloatVector<TSelf> where TSelf : IFloatVector<TSelf>
    {
        static abstract TSelf Create(float value);
        static abstract TSelf operator +(TSelf a, TSelf b);
        static abstract TSelf operator -(TSelf a, TSelf b);
        static abstract TSelf operator -(TSelf a);
        static abstract TSelf operator *(TSelf a, TSelf b);
        static abstract TSelf operator /(TSelf a, TSelf b);
        static abstract TSelf Abs(TSelf x);
        static abstract TSelf CopySign(TSelf value, TSelf sign);
        static abstract TSelf Exp(TSelf x);
        static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
        float First { get; }
    }

    readonly struct F512(Vector512<float> v) : IFloatVector<F512>
    {
        readonly Vector512<float> _v = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Create(float value) => new(Vector512.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator +(F512 a, F512 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator -(F512 a, F512 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator -(F512 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator *(F512 a, F512 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator /(F512 a, F512 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Abs(F512 x) => new(Vector512.Abs(x._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 CopySign(F512 value, F512 sign) => new(Vector512.CopySign(value._v, sign._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Exp(F512 x) => new(Vector512.Exp(x._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Fma(F512 a, F512 b, F512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
        public float First => _v.ToScalar();
    }

    readonly struct F256(Vector256<float> v) : IFloatVector<F256>
    {
        readonly Vector256<float> _v = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Create(float value) => new(Vector256.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator +(F256 a, F256 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator -(F256 a, F256 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator -(F256 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator *(F256 a, F256 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator /(F256 a, F256 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Abs(F256 x) => new(Vector256.Abs(x._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 CopySign(F256 value, F256 sign) => new(Vector256.CopySign(value._v, sign._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Exp(F256 x) => new(Vector256.Exp(x._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Fma(F256 a, F256 b, F256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
        public float First => _v.ToScalar();
    }

    readonly struct F128(Vector128<float> v) : IFloatVector<F128>
    {
        readonly Vector128<float> _v = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Create(float value) => new(Vector128.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator +(F128 a, F128 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator -(F128 a, F128 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator -(F128 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator *(F128 a, F128 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator /(F128 a, F128 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Abs(F128 x) => new(Vector128.Abs(x._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 CopySign(F128 value, F128 sign) => new(Vector128.CopySign(value._v, sign._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Exp(F128 x) => new(Vector128.Exp(x._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Fma(F128 a, F128 b, F128 c) => new(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));
        public float First => _v.ToScalar();
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sieve.Tensors;

/// <summary>
/// Vector math shared by the element-wise kernels, written once for every <see cref="IFloatVector{TSelf}"/>
/// width. Callers run F512 where Vector512 is accelerated, else F256, else F128 (accelerated nearly everywhere).
/// </summary>
internal static class FloatVector
{
    // exp(x) = 2ⁿ·exp(r) with n = round(x·log₂e), |r| ≤ ln2/2 and Cephes' expf polynomial for exp(r), about
    // 1 ulp, all in float and inline: the framework's Vector512.Exp works in double and is a call, which
    // made QuickGELU no faster at 512 bits than at 256. x is clamped to [-87, 88] so 2ⁿ stays a normal
    // float; results beyond are below 2e-38 or above 1e38, which every caller treats as 0 and ∞ would be.
    // The clamp keeps NaN (ClampNative turned it into a bound, so a NaN weight gave plausible output).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV x) where TV : IFloatVector<TV>
    {
        x = TV.Clamp(x, TV.Create(-87f), TV.Create(88f));
        var n = TV.Round(x * TV.Create(1.44269504f));
        var r = TV.Fma(n, TV.Create(-0.693359375f), x);
        r = TV.Fma(n, TV.Create(2.12194440e-4f), r);
        var p = TV.Create(1.9875691500e-4f);
        p = TV.Fma(p, r, TV.Create(1.3981999507e-3f));
        p = TV.Fma(p, r, TV.Create(8.3334519073e-3f));
        p = TV.Fma(p, r, TV.Create(4.1665795894e-2f));
        p = TV.Fma(p, r, TV.Create(1.6666665459e-1f));
        p = TV.Fma(p, r, TV.Create(5.0000001201e-1f));
        return TV.ScaleB(TV.Fma(p, r * r, r) + TV.Create(1f), n);
    }
}

/// <summary>
/// The arithmetic the formulas use, so each is written once for every vector width. (Vector512&lt;T&gt;
/// and its siblings do not expose their operators as generic-math interfaces, hence the thin wrappers.)
/// Wrapper members are forced inline: a call would pass vectors through memory.
/// </summary>
internal interface IFloatVector<TSelf> where TSelf : IFloatVector<TSelf>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }
    static abstract TSelf Create(float value);
    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);
    static abstract TSelf Abs(TSelf x);
    static abstract TSelf CopySign(TSelf value, TSelf sign);
    /// <summary>x restricted to [min, max]; NaN stays NaN.</summary>
    static abstract TSelf Clamp(TSelf x, TSelf min, TSelf max);
    static abstract TSelf Round(TSelf x);
    /// <summary>x·2ⁿ for integral n in [-126, 127].</summary>
    static abstract TSelf ScaleB(TSelf x, TSelf n);
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    /// <summary>Lane 0.</summary>
    float First { get; }
    /// <summary>Sum of the lanes.</summary>
    float Sum { get; }
}

internal readonly struct F512(Vector512<float> v) : IFloatVector<F512>
{
    readonly Vector512<float> _v = v;
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Create(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator +(F512 a, F512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator -(F512 a, F512 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator -(F512 a) => new(-a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator *(F512 a, F512 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator /(F512 a, F512 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Abs(F512 x) => new(Vector512.Abs(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 CopySign(F512 value, F512 sign) => new(Vector512.CopySign(value._v, sign._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Clamp(F512 x, F512 min, F512 max) => new(Vector512.Clamp(x._v, min._v, max._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Round(F512 x) => new(Vector512.Round(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 ScaleB(F512 x, F512 n) =>
        new(x._v * Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n._v) + Vector512.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Fma(F512 a, F512 b, F512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    public float First => _v.ToScalar();
    public float Sum => Vector512.Sum(_v);
}

internal readonly struct F256(Vector256<float> v) : IFloatVector<F256>
{
    readonly Vector256<float> _v = v;
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Create(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator +(F256 a, F256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator -(F256 a, F256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator -(F256 a) => new(-a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator *(F256 a, F256 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator /(F256 a, F256 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Abs(F256 x) => new(Vector256.Abs(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 CopySign(F256 value, F256 sign) => new(Vector256.CopySign(value._v, sign._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Clamp(F256 x, F256 min, F256 max) => new(Vector256.Clamp(x._v, min._v, max._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Round(F256 x) => new(Vector256.Round(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 ScaleB(F256 x, F256 n) =>
        new(x._v * Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n._v) + Vector256.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Fma(F256 a, F256 b, F256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    public float First => _v.ToScalar();
    public float Sum => Vector256.Sum(_v);
}

internal readonly struct F128(Vector128<float> v) : IFloatVector<F128>
{
    readonly Vector128<float> _v = v;
    public static int Count => Vector128<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Create(float value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator +(F128 a, F128 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator -(F128 a, F128 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator -(F128 a) => new(-a._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator *(F128 a, F128 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator /(F128 a, F128 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Abs(F128 x) => new(Vector128.Abs(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 CopySign(F128 value, F128 sign) => new(Vector128.CopySign(value._v, sign._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Clamp(F128 x, F128 min, F128 max) => new(Vector128.Clamp(x._v, min._v, max._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Round(F128 x) => new(Vector128.Round(x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 ScaleB(F128 x, F128 n) =>
        new(x._v * Vector128.ShiftLeft(Vector128.ConvertToInt32Native(n._v) + Vector128.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Fma(F128 a, F128 b, F128 c) => new(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));
    public float First => _v.ToScalar();
    public float Sum => Vector128.Sum(_v);
}

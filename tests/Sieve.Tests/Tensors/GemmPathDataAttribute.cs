using System.Reflection;
using Sieve.Tensors;
using Xunit.Sdk;

namespace Sieve.Tests.Tensors;

/// <summary>
/// One GEMM path (float or int8) as a theory row, skipped with the reason where this processor lacks it — a visible skip, so a
/// run that never tried AVX-512 says so rather than passing with fewer rows.
/// </summary>
public sealed class GemmPathDataAttribute : DataAttribute
{
    readonly object _path;

    public GemmPathDataAttribute(GemmPath path)
    {
        _path = path;
        if (!GemmPaths.IsSupported(path)) Skip = $"this processor does not accelerate the {path} GEMM path";
    }

    public GemmPathDataAttribute(Int8GemmPath path)
    {
        _path = path;
        if (!Int8GemmPaths.IsSupported(path)) Skip = $"this processor lacks the {path} int8 GEMM path";
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[_path]];
}

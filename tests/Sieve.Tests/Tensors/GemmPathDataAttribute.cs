using System.Reflection;
using Sieve.Tensors;
using Xunit.Sdk;

namespace Sieve.Tests.Tensors;

/// <summary>
/// One GEMM path as a theory row, skipped with the reason where this processor lacks it — a visible skip, so a
/// run that never tried AVX-512 says so rather than passing with fewer rows.
/// </summary>
public sealed class GemmPathDataAttribute : DataAttribute
{
    readonly GemmPath _path;

    public GemmPathDataAttribute(GemmPath path)
    {
        _path = path;
        if (!GemmPaths.IsSupported(path)) Skip = $"this processor does not accelerate the {path} GEMM path";
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[_path]];
}

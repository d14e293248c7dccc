using Iced.Intel;
using Sieve.Tensors;
using static Iced.Intel.AssemblerRegisters;

namespace Sieve.Bench;

/// <summary>
/// The <c>vpdpbusd</c> peak of this machine: a generated loop of 24 independent register-only <c>vpdpbusd</c> per
/// iteration (512- or 256-bit), no loads, enough independent chains to hide the latency, so its rate is what the
/// execution units give and the bound any int8 GEMM kernel is measured against.
/// </summary>
sealed unsafe class VnniPeak : IDisposable
{
    const int Chains = 24;
    readonly ExecutableMemory _code;
    readonly int _bytesPerLane;

    /// <param name="bits">512 (zmm) or 256 (ymm; EVEX-encoded like the zmm form, so it needs AVX-512 VNNI too).</param>
    public VnniPeak(int bits)
    {
        _bytesPerLane = bits / 8;
        var c = new Assembler(64) { PreferVex = false };
        var loop = c.CreateLabel();
        c.Label(ref loop);
        for (int i = 0; i < Chains; i++)
        {
            if (bits == 512) c.vpdpbusd(new AssemblerRegisterZMM(Register.ZMM0 + i), new AssemblerRegisterZMM(Register.ZMM30), new AssemblerRegisterZMM(Register.ZMM31));
            else c.vpdpbusd(new AssemblerRegisterYMM(Register.YMM0 + i), new AssemblerRegisterYMM(Register.YMM30), new AssemblerRegisterYMM(Register.YMM31));
        }
        c.dec(rdi);
        c.jnz(loop);
        c.vzeroupper();
        c.ret();
        using var stream = new MemoryStream();
        c.Assemble(new StreamCodeWriter(stream), 0);
        _code = ExecutableMemory.Map(stream.ToArray());
    }

    /// <summary>Integer operations (2 per multiply-add) one call of <see cref="Run"/> performs.</summary>
    public double Operations(long iterations) => 2.0 * iterations * Chains * _bytesPerLane;

    /// <summary>Runs <paramref name="iterations"/> iterations of the loop.</summary>
    public void Run(long iterations) => ((delegate* unmanaged<nint, void>)_code.Address)((nint)iterations);

    public void Dispose() => _code.Dispose();
}

using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Sieve.Tensors;

/// <summary>
/// The 512-bit <c>vpdpbusd</c> (AVX-512 VNNI) int8 micro-kernels, whose machine code is generated at run time with
/// the Iced assembler — .NET 10 reaches this instruction only through <c>Avx10v1</c>, which processors such as Zen 5
/// lack although they have AVX-512 VNNI. A kernel computes D[6 × 16p] = Σ_k A[r, k]·P[k, j] for six rows of
/// unsigned 8-bit A and p ≤ <see cref="MaxPanels"/> consecutive panels of an <see cref="Int8Matrix"/>: one 64-byte
/// panel line is exactly one zmm of 16 int32 lanes × 4 bytes, so per group of four k it loads p weight vectors,
/// broadcasts each row's four bytes once and issues 6·p <c>vpdpbusd</c> into 6·p zmm accumulators (24 of 32 at
/// p = 4). The sums are the same exact int32 sums as every other path's.
/// </summary>
internal sealed unsafe class Int8Vnni512Kernel : IDisposable
{
    /// <summary>Panels one call covers at most (64 output columns).</summary>
    public const int MaxPanels = 4;

    /// <summary>Environment variable that turns code generation off when set to <c>0</c>.</summary>
    public const string SettingName = "SIEVE_CODEGEN";

    const int Rows = Int8GemmKernels.Rows, Line = Int8Matrix.PanelWidth * Int8Matrix.Depth;
    const int Weights = 24, Broadcast = 28; // zmm24–27: one panel line each; zmm28–31: a row's four bytes

    readonly ExecutableMemory _code;
    readonly nint[] _entries;

    Int8Vnni512Kernel(ExecutableMemory code, nint[] entries) => (_code, _entries) = (code, entries);

    /// <summary>True when the processor has AVX-512 VNNI (CPUID leaf 7, ECX bit 11) and the OS keeps zmm state.</summary>
    public static bool HardwareHasIt =>
        Avx512F.IsSupported && Avx512BW.IsSupported && X86Base.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;

    /// <summary>
    /// D (row stride 16·<paramref name="panels"/> ints) = the six rows at <paramref name="a"/> (stride
    /// <paramref name="lda"/> bytes) times <paramref name="panels"/> panels starting at <paramref name="b"/>, each
    /// <paramref name="panelBytes"/> after the last, over <paramref name="quads"/> groups of four k.
    /// </summary>
    public void Run(byte* a, int lda, sbyte* b, int panels, long panelBytes, int quads, int* d) =>
        ((delegate* unmanaged[SuppressGCTransition]<byte*, nint, sbyte*, nint, nint, int*, void>)_entries[panels - 1])(a, lda, b, (nint)panelBytes, quads, d);

    /// <summary>
    /// Generates and maps the kernels when this machine and process allow it; otherwise null and, where the
    /// kernel was wanted but could not be had, a one-line notice saying why and which path runs instead.
    /// </summary>
    /// <param name="hardware">Whether the processor has AVX-512 VNNI (<see cref="HardwareHasIt"/>).</param>
    /// <param name="setting">The value of <see cref="SettingName"/> (<c>0</c> turns generation off).</param>
    /// <param name="protect">The read+execute switch (<see cref="AnonymousPages.Protect"/>, or a staged refusal).</param>
    /// <param name="fallback">The path that runs instead, for the notice.</param>
    internal static (Int8Vnni512Kernel? Kernel, string? Notice) TryCreate(bool hardware, string? setting, Func<nint, nuint, int, int> protect, Int8GemmPath fallback)
    {
        if (!hardware) return (null, null);
        string instead = $"int8 GEMMs use the {fallback} kernel instead";
        if (setting == "0") return (null, $"note: {SettingName}=0: the generated 512-bit VNNI kernel is off; {instead}");
        if (!ExecutableMemory.IsAvailable) return (null, $"note: the 512-bit VNNI kernel is generated only on Linux x64; {instead}");
        try
        {
            var (code, offsets) = Generate();
            var memory = ExecutableMemory.Map(code, protect);
            return (new Int8Vnni512Kernel(memory, [.. offsets.Select(o => memory.Address + o)]), null);
        }
        catch (IOException e)
        {
            return (null, $"note: the OS refused executable memory for the generated 512-bit VNNI kernel ({e.Message}); {instead}");
        }
    }

    /// <summary>The machine code of the kernels for 1…<see cref="MaxPanels"/> panels, each 64-byte aligned, and where each starts.</summary>
    internal static (byte[] Code, int[] Offsets) Generate()
    {
        using var stream = new MemoryStream();
        var offsets = new int[MaxPanels];
        for (int panels = 1; panels <= MaxPanels; panels++)
        {
            while (stream.Length % 64 != 0) stream.WriteByte(0xCC); // int3 between kernels
            offsets[panels - 1] = (int)stream.Length;
            var asm = new Assembler(64);
            Emit(asm, panels);
            asm.Assemble(new StreamCodeWriter(stream), (ulong)stream.Length);
        }
        return (stream.ToArray(), offsets);
    }

    // System V arguments: rdi = a, rsi = lda, rdx = b, rcx = panel stride, r8 = quads, r9 = d. Only
    // caller-saved registers are touched (rax, r10, r11, zmm0–31), so there is nothing to save.
    static void Emit(Assembler c, int panels)
    {
        for (int i = 0; i < Rows * panels; i++) c.vpxord(Zmm(i), Zmm(i), Zmm(i));
        c.lea(r10, __[rdi + rsi * 2]);
        c.add(r10, rsi);                 // r10 = row 3
        c.lea(r11, __[rdx + rcx * 2]);
        c.add(r11, rcx);                 // r11 = panel 3
        var loop = c.CreateLabel();
        var pairs = c.CreateLabel();
        var store = c.CreateLabel();
        // Two groups of four k per trip (fewer pointer updates and branches); an odd first group alone.
        c.test(r8, 1);
        c.jz(pairs);
        Step(c, panels, 0);
        Advance(c, 1);
        c.Label(ref pairs);
        c.shr(r8, 1);
        c.jz(store);
        c.Label(ref loop);
        Step(c, panels, 0);
        Step(c, panels, 1);
        Advance(c, 2);
        c.dec(r8);
        c.jnz(loop);
        c.Label(ref store);
        for (int r = 0; r < Rows; r++)
            for (int p = 0; p < panels; p++)
                c.vmovdqu32(__zmmword_ptr[r9 + (r * panels + p) * Line], Acc(r, p, panels));
        c.vzeroupper();
        c.ret();
    }

    // One group of four k, `group` groups past the pointers: each panel's 64-byte line into zmm24–27, then per row its
    // four bytes broadcast (zmm28–31, rotating) and one vpdpbusd per panel.
    static void Step(Assembler c, int panels, int group)
    {
        int a = 4 * group, b = Line * group;
        for (int p = 0; p < panels; p++)
            c.vmovdqu32(Zmm(Weights + p), p switch
            {
                0 => __zmmword_ptr[rdx + b],
                1 => __zmmword_ptr[rdx + rcx + b],
                2 => __zmmword_ptr[rdx + rcx * 2 + b],
                _ => __zmmword_ptr[r11 + b],
            });
        for (int r = 0; r < Rows; r++)
        {
            var x = Zmm(Broadcast + r % 4);
            c.vpbroadcastd(x, r switch
            {
                0 => __dword_ptr[rdi + a],
                1 => __dword_ptr[rdi + rsi + a],
                2 => __dword_ptr[rdi + rsi * 2 + a],
                3 => __dword_ptr[r10 + a],
                4 => __dword_ptr[r10 + rsi + a],
                _ => __dword_ptr[r10 + rsi * 2 + a],
            });
            for (int p = 0; p < panels; p++) c.vpdpbusd(Acc(r, p, panels), x, Zmm(Weights + p));
        }
    }

    static void Advance(Assembler c, int groups)
    {
        c.add(rdi, 4 * groups);
        c.add(r10, 4 * groups);
        c.add(rdx, Line * groups);
        c.add(r11, Line * groups);
    }

    static AssemblerRegisterZMM Zmm(int i) => new(Register.ZMM0 + i);

    /// <summary>The accumulator of one row and panel: zmm0–23.</summary>
    static AssemblerRegisterZMM Acc(int row, int panel, int panels) => Zmm(row * panels + panel);

    public void Dispose() => _code.Dispose();
}

using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>fc2(act(fc1(x))), the activation fused into fc1's GEMM.</summary>
internal sealed class Mlp(Linear fc1, Linear fc2, Activation activation)
{
    /// <summary>Hidden width.</summary>
    public int Hidden => fc1.Out;

    /// <summary>y = MLP(x) for <paramref name="rows"/> rows.</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        using var hidden = new Scratch(rows * fc1.Out);
        using (OpProfile.Time(OpKind.Fc1, fc1.MacsFor(rows))) fc1.Forward(x, rows, hidden.Span, activation);
        using var time = OpProfile.Time(OpKind.Fc2, fc2.MacsFor(rows));
        fc2.Forward(hidden.Span, rows, y);
    }

    /// <summary>Multiply-adds for <paramref name="rows"/> rows.</summary>
    public long MacsFor(int rows) => fc1.MacsFor(rows) + fc2.MacsFor(rows);
}

using System.Numerics.Tensors;
using Sieve.Tensors;

namespace Sieve.Nn;

/// <summary>
/// Llama's SwiGLU MLP: down(silu(gate(x)) ⊙ up(x)), gate and up projected by one stacked [gate; up] linear layer.
/// </summary>
internal sealed class GatedMlp
{
    readonly Linear _gateUp, _down;

    /// <param name="gateUp">D → 2·hidden, rows gate then up.</param>
    /// <param name="down">hidden → D.</param>
    public GatedMlp(Linear gateUp, Linear down)
    {
        if (gateUp.Out != 2 * down.In || down.Out != gateUp.In)
            throw new ArgumentException($"MLP projections do not fit: gate/up {gateUp.In}→{gateUp.Out}, down {down.In}→{down.Out}");
        (_gateUp, _down) = (gateUp, down);
    }

    /// <summary>Hidden width.</summary>
    public int Hidden => _down.In;

    /// <summary>y = MLP(x) for <paramref name="rows"/> rows.</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        int h = Hidden;
        using var gateUp = new Scratch(rows * 2 * h);
        using var hidden = new Scratch(rows * h);
        using (OpProfile.Time(OpKind.Fc1, _gateUp.MacsFor(rows))) _gateUp.Forward(x, rows, gateUp.Span);
        using (OpProfile.Time(OpKind.Activation))
        {
            for (int r = 0; r < rows; r++)
            {
                var gate = gateUp.Span.Slice(r * 2 * h, h);
                var up = gateUp.Span.Slice(r * 2 * h + h, h);
                var output = hidden.Span.Slice(r * h, h);
                // silu(g) = g · σ(g)
                TensorPrimitives.Sigmoid(gate, output);
                TensorPrimitives.Multiply(output, gate, output);
                TensorPrimitives.Multiply(output, up, output);
            }
        }
        using var time = OpProfile.Time(OpKind.Fc2, _down.MacsFor(rows));
        _down.Forward(hidden.Span, rows, y);
    }

    /// <summary>Multiply-adds for <paramref name="rows"/> rows.</summary>
    public long MacsFor(int rows) => _gateUp.MacsFor(rows) + _down.MacsFor(rows);
}

using Sieve.Models;
using Sieve.Nn;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Tests.Nn;

/// <summary>
/// Token tables in float32 and in int8 (one symmetric scale per row), checked by hand and against float64; held in memory
/// or left in a safetensors file, mapped, and the same either way.
/// </summary>
public sealed class EmbeddingTableTests
{
    [Fact]
    public void Int8RowsAreDequantizedAsQTimesScaleThenTheAddend()
    {
        // Row 0: max |v| = 1.27, so scale 0.01 and q = [50, -127, 13] (0.127 / 0.01 = 12.7 rounds up). Row 1 is all zero.
        sbyte[] q = [50, -127, 13, 0, 0, 0];
        var table = new EmbeddingTable(q, [0.01f, 0f], rows: 2, width: 3);
        float[] position = [1f, 2f, 3f];
        var row = new float[3];

        table.AddRow(0, position, row);
        Assert.Equal([1.5, 0.73, 3.13], row.Select(v => (double)v), new Tolerance(1e-6));
        for (int i = 0; i < 3; i++) Assert.Equal(q[i] * 0.01f + position[i], row[i]); // the same roundings, in the same order
        table.AddRow(1, position, row);
        Assert.Equal(position, row);
        Assert.Equal(Precision.Int8, table.Precision);
    }

    [Fact]
    public void AnInt8TableFromTheCheckpointIsWithinHalfAScaleOfTheFloatOne()
    {
        const int rows = 37, width = 24;
        var reader = CheckpointReader.Random(5); // a tensor's random values depend only on its name
        var floats = reader.Tensor("table.weight", rows, width);
        var int8 = reader.Embedding("table.weight", rows, width, Precision.Int8);
        var dense = reader.Embedding("table.weight", rows, width, Precision.Float32);
        var zero = new float[width];
        var (got, exact) = (new float[width], new float[width]);
        for (int r = 0; r < rows; r++)
        {
            int8.AddRow(r, zero, got);
            dense.AddRow(r, zero, exact);
            Assert.Equal(floats.AsSpan(r * width, width).ToArray(), exact);
            double scale = Enumerable.Range(0, width).Max(i => Math.Abs((double)floats[r * width + i])) / 127;
            Assert.NotEqual(exact, got);
            for (int i = 0; i < width; i++) Assert.InRange(Math.Abs(got[i] - (double)floats[r * width + i]), 0, scale * (0.5 + 1e-5));
            // The row's largest value is one of ±127 steps: the scale is max|v|/127, not coarser.
            Assert.Equal(127, Enumerable.Range(0, width).Max(i => Math.Round(Math.Abs(got[i]) / scale)));
        }
    }

    [Fact]
    public void ATableLeftInItsSafetensorsFileReadsBitForBitAsTheHeldOne()
    {
        const int rows = 29, width = 40; // 4,640 bytes of F32: rows straddle a page
        var values = CheckpointReader.Random(6).Tensor("t", rows, width);
        values.AsSpan(3 * width, width).Clear(); // an all-zero row quantizes with scale 0
        var (q, scales) = (new sbyte[rows * width], new float[rows]);
        for (int r = 0; r < rows; r++) scales[r] = Int8Matrix.QuantizeRow(values.AsSpan(r * width, width), q.AsSpan(r * width, width));
        using var dir = new Support.TempFolder();
        new SafetensorsWriter()
            .Add("pad", [3], [1f, 2f, 3f]) // the table does not start on a page
            .Add("floats", [rows, width], values)
            .AddBytes("bytes", [rows, width], DType.I8, s => s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.AsSpan())))
            .Add("bytes" + Int8Checkpoint.ScaleSuffix, [rows], scales)
            .Save(dir.File(CheckpointFiles.SingleFile));

        EmbeddingTable fp32, int8, saved;
        using (var files = CheckpointFiles.Open(dir.Path))
        {
            var reader = new CheckpointReader(files); // a saved int8 checkpoint: I8 "bytes" beside "bytes_scale"
            saved = reader.Embedding("bytes", rows, width, Precision.Int8);
            fp32 = new EmbeddingTable(files.Map("floats", [rows, width], DType.F32)!, null, rows, width, Precision.Float32);
            int8 = new EmbeddingTable(files.Map("floats", [rows, width], DType.F32)!, null, rows, width, Precision.Int8);
            Assert.Null(files.Map("floats", [width, rows], DType.F32)); // another shape is read, and refused there
            Assert.Null(files.Map("floats", [rows, width], DType.I8));
        }
        // The file is closed: the tables' own mappings still read.
        Assert.True(fp32.IsMapped && int8.IsMapped && saved.IsMapped);
        var heldFp32 = new EmbeddingTable(values, rows, width);
        var heldInt8 = new EmbeddingTable(q, scales, rows, width);
        var position = CheckpointReader.Random(7).Tensor("p", width);
        var (got, expected) = (new float[width], new float[width]);
        foreach (var (table, held) in new[] { (fp32, heldFp32), (int8, heldInt8), (saved, heldInt8) })
            for (int r = rows - 1; r >= 0; r--)
            {
                table.AddRow(r, position, got);
                held.AddRow(r, position, expected);
                Assert.Equal(expected, got);
            }
        Assert.Equal((Precision.Float32, Precision.Int8, Precision.Int8), (fp32.Precision, int8.Precision, saved.Precision));
    }

    [Fact]
    public void AnIdOutsideTheTableIsRefused()
    {
        var table = new EmbeddingTable(new float[6], rows: 2, width: 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.AddRow(2, new float[3], new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.AddRow(-1, new float[3], new float[3]));
    }

    sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;
        public int GetHashCode(double obj) => 0;
    }
}

namespace Sieve.Tests.Data;

/// <summary>
/// Writes baseline JPEGs whose 8×8 blocks are each one flat YCbCr colour (no chroma subsampling). Every
/// block has only a DC coefficient, so a correct decoder returns exactly the flat colours, up to the
/// rounding of its YCbCr → RGB conversion.
/// </summary>
internal static class TestJpeg
{
    public static byte[] Encode(int blocksWide, int blocksHigh, Func<int, int, (byte Y, byte Cb, byte Cr)> blockColour)
    {
        int width = blocksWide * 8, height = blocksHigh * 8;
        var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]); // SOI
        // Quantisation table 0, 8-bit, all ones: coefficients are stored as they are.
        Segment(jpeg, 0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]);
        // Baseline frame: 8-bit, size, three components (1 = Y, 2 = Cb, 3 = Cr), 1×1 sampling, table 0.
        Segment(jpeg, 0xC0, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width,
            3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
        // DC table 0: the 12 size categories 0..11 get the 4-bit codes 0000..1011.
        // AC table 0: only end-of-block (0x00), with the 1-bit code 0.
        Segment(jpeg, 0xC4, [0x00, 0, 0, 0, 12, .. new byte[12], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
            0x10, 1, .. new byte[15], 0x00]);
        Segment(jpeg, 0xDA, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]); // scan: all components, tables 0

        var bits = new BitWriter(jpeg);
        var previous = new int[3];
        for (int by = 0; by < blocksHigh; by++)
        {
            for (int bx = 0; bx < blocksWide; bx++)
            {
                var (y, cb, cr) = blockColour(bx, by);
                int[] levels = [y, cb, cr];
                for (int c = 0; c < 3; c++)
                {
                    // A flat block of level v has the DC coefficient 8 (v − 128); DCs are coded as differences.
                    int dc = 8 * (levels[c] - 128), diff = dc - previous[c];
                    previous[c] = dc;
                    int size = diff == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(diff));
                    bits.Write(size, 4);
                    if (size > 0) bits.Write(diff > 0 ? diff : diff + (1 << size) - 1, size);
                    bits.Write(0, 1); // end of block
                }
            }
        }
        bits.Flush();
        jpeg.Write([0xFF, 0xD9]); // EOI
        return jpeg.ToArray();
    }

    static void Segment(Stream jpeg, byte marker, byte[] data)
    {
        int length = data.Length + 2;
        jpeg.Write([0xFF, marker, (byte)(length >> 8), (byte)length]);
        jpeg.Write(data);
    }

    /// <summary>Entropy-coded data: bits most significant first, 0xFF bytes stuffed with 0x00.</summary>
    sealed class BitWriter(Stream output)
    {
        int _buffer, _count;

        public void Write(int value, int count)
        {
            for (int i = count - 1; i >= 0; i--)
            {
                _buffer = (_buffer << 1) | ((value >> i) & 1);
                if (++_count == 8) Emit();
            }
        }

        /// <summary>Pads the last byte with ones, as the standard asks.</summary>
        public void Flush()
        {
            while (_count != 0) Write(1, 1);
        }

        void Emit()
        {
            output.WriteByte((byte)_buffer);
            if (_buffer == 0xFF) output.WriteByte(0x00);
            _buffer = _count = 0;
        }
    }
}

using StbImageSharp;

namespace Sieve.Data;

/// <summary>
/// Decodes image files (JPEG, PNG, BMP, GIF, TGA, PSD, HDR, PIC — whatever stb_image reads) to
/// <see cref="RgbImage"/>. Like Pillow's <c>convert("RGB")</c>, grey is replicated to the three channels
/// and alpha is dropped (not blended). EXIF orientation is ignored, as Pillow's <c>Image.open</c> does.
/// </summary>
/// <remarks>
/// stb's JPEG decoder upsamples chroma more simply than libjpeg-turbo, so decoded JPEG pixels may differ
/// from Pillow's by a few levels.
/// </remarks>
public static class ImageDecoder
{
    const string Formats = "a JPEG, PNG, BMP, GIF, TGA, PSD, HDR or PIC image";

    /// <summary>Reads and decodes the image file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="SieveFormatException">A folder, pipe or device, a symbolic link loop, or a file that is empty or not a decodable image.</exception>
    public static RgbImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        InputFile.RequireContent(path, Formats);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes an image held in memory.</summary>
    /// <param name="data">The encoded image (the whole file).</param>
    /// <param name="sourceName">Where the data came from, e.g. a file name; used in error messages.</param>
    /// <exception cref="SieveFormatException">The data is empty or not a decodable image.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return Decode(data.ToArray(), sourceName);
    }

    static RgbImage Decode(byte[] data, string sourceName)
    {
        if (data.Length == 0)
            throw new SieveFormatException($"{sourceName}: expected {Formats}, found an empty file.");
        ImageResult result;
        try
        {
            using var stream = new SkipBoundedStream(data);
            result = ImageResult.FromStream(stream, ColorComponents.RedGreenBlue);
        }
        catch (Exception e)
        {
            // stb reports its failure reason ("no SOF", "bad huffman code", ...) as the message; a port of
            // C code may also fail with other exceptions on hostile data, which are reported the same way.
            throw new SieveFormatException(
                $"{sourceName}: expected {Formats}, but decoding failed ({e.Message}).", e);
        }
        return RgbImage.Wrap(result.Width, result.Height, result.Data);
    }

    /// <summary>
    /// The data as stb reads it. StbImageSharp skips over segments by seeking; past the end of a truncated
    /// file that leaves Position beyond Length, where its end-of-data test (Position == Length) never
    /// holds and the JPEG marker search loops forever. Like C stb's skip, a negative or overlong skip here
    /// stops at the end.
    /// </summary>
    sealed class SkipBoundedStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public override long Seek(long offset, SeekOrigin origin) =>
            origin == SeekOrigin.Current && (offset < 0 || offset > Length - Position)
                ? Position = Length
                : base.Seek(offset, origin);
    }
}

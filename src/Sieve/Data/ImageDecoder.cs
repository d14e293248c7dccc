using StbImageSharp;

namespace Sieve.Data;

/// <summary>
/// Decodes image files (JPEG, PNG, BMP, GIF, TGA, PSD, HDR, PIC — whatever stb_image reads) to
/// <see cref="RgbImage"/>. Like Pillow's <c>convert("RGB")</c>, grey is replicated to the three channels
/// and alpha is dropped (not blended). EXIF orientation is ignored, as Pillow's <c>Image.open</c> does.
/// </summary>
/// <remarks>
/// stb's JPEG decoder upsamples chroma more simply than libjpeg-turbo, so decoded JPEG pixels may differ
/// from Pillow's by a few levels. A JPEG or PNG that is cut short or whose structure is damaged is refused
/// even where stb would decode what is there (filling the rest with grey), unless the caller allows it.
/// </remarks>
public static class ImageDecoder
{
    const string Formats = "a JPEG, PNG, BMP, GIF, TGA, PSD, HDR or PIC image";

    /// <summary>The extensions (lower case, with the dot) by which images are picked out of a folder.</summary>
    public static IReadOnlyList<string> FolderExtensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif"];

    /// <summary>Whether <paramref name="path"/> has one of the <see cref="FolderExtensions"/>, in any case.</summary>
    public static bool HasImageExtension(string path) =>
        FolderExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads and decodes the image file at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="allowDamaged">Decode a JPEG or PNG that is cut short or damaged as far as the decoder can, rather than refuse it.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="SieveFormatException">A folder, pipe or device, a symbolic link loop, or a file that is empty, damaged or not a decodable image.</exception>
    public static RgbImage Decode(string path, bool allowDamaged = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        InputFile.RequireContent(path, Formats);
        return Decode(File.ReadAllBytes(path), path, allowDamaged);
    }

    /// <summary>Decodes an image held in memory.</summary>
    /// <param name="data">The encoded image (the whole file).</param>
    /// <param name="sourceName">Where the data came from, e.g. a file name; used in error messages.</param>
    /// <param name="allowDamaged">See <see cref="Decode(string, bool)"/>.</param>
    /// <exception cref="SieveFormatException">The data is empty, damaged or not a decodable image.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string sourceName, bool allowDamaged = false)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return Decode(data.ToArray(), sourceName, allowDamaged);
    }

    static RgbImage Decode(byte[] data, string sourceName, bool allowDamaged)
    {
        if (data.Length == 0)
            throw new SieveFormatException($"{sourceName}: expected {Formats}, found an empty file.");
        if (!allowDamaged && ImageDamage.Find(data) is { } damage)
            throw new SieveFormatException($"{sourceName}: {damage} (allowDamaged, or --allow-truncated-images, decodes what is there)");
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

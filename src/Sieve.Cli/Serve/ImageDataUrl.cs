using Sieve.Data;
using StbImageSharp;

namespace Sieve.Cli.Serve;

/// <summary>
/// Images in requests: base64 data URLs, <c>data:image/png;base64,iVBOR…</c> (any image media type stb decodes:
/// JPEG, PNG, BMP, GIF, …). The size is read from the header and checked before any pixel is decoded.
/// </summary>
internal static class ImageDataUrl
{
    const string Prefix = "data:image/";

    /// <summary>Whether <paramref name="text"/> is meant as an image (it starts with <c>data:image/</c>).</summary>
    public static bool IsImage(string text) => text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The image the data URL holds; a 400 naming <paramref name="param"/> when it is not one, or is too large.</summary>
    public static RgbImage Decode(string url, string param, ServeSettings settings) => Read(url, param, settings)();

    /// <summary>
    /// Checks the data URL now (base64, a supported image type, the size from its header) and returns the decoding,
    /// to run later — in a batch, where it is spread over the cores with the model's work instead of holding a
    /// request thread; it throws a 400 naming <paramref name="param"/> for a damaged image.
    /// </summary>
    public static Func<RgbImage> Read(string url, string param, ServeSettings settings)
    {
        if (!IsImage(url))
            throw ServeRequestException.Bad($"{param}: expected an image as a base64 data URL (data:image/png;base64,…), got '{UsageError.Echo(url)}'", param);
        int comma = url.IndexOf(',');
        if (comma < 0 || !url[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            throw ServeRequestException.Bad($"{param}: the data URL must be base64-encoded (data:image/…;base64,…)", param);
        var payload = url.AsSpan(comma + 1);
        var bytes = new byte[payload.Length / 4 * 3 + 3]; // decoded from the span: no copy of the (large) payload text
        if (!Convert.TryFromBase64Chars(payload, bytes, out int length))
            throw ServeRequestException.Bad($"{param}: the data URL's payload is not valid base64", param);
        Array.Resize(ref bytes, length);
        if (length == 0) throw ServeRequestException.Bad($"{param}: the data URL holds no image bytes", param);
        ImageInfo? info;
        try { info = ImageInfo.FromStream(new MemoryStream(bytes, writable: false)); }
        catch (Exception) { info = null; } // stb's header reader may throw on hostile data: reported as unsupported below
        if (info is not { } header)
            throw ServeRequestException.Bad($"{param}: not a supported image (expected JPEG, PNG, BMP, GIF, TGA, PSD, HDR or PIC)", param);
        if (header.Width > settings.MaxImageSide || header.Height > settings.MaxImageSide)
            throw ServeRequestException.Bad($"{param}: image is {header.Width}×{header.Height} px; the server takes at most {settings.MaxImageSide} px a side", param);
        return () =>
        {
            try { return ImageDecoder.Decode(bytes, param, settings.AllowDamagedImages); }
            catch (SieveFormatException e) { throw ServeRequestException.Bad(e.Message, param); }
        };
    }
}

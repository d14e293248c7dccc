namespace Sieve.Hub;

/// <summary>How far the download of one file has come.</summary>
/// <param name="File">The file's name in the repository.</param>
/// <param name="Bytes">Bytes on disk so far (a resumed download starts at what was already there).</param>
/// <param name="Total">The file's size, when the Hub told it.</param>
public readonly record struct HubDownloadProgress(string File, long Bytes, long? Total);

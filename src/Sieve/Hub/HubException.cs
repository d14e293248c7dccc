namespace Sieve.Hub;

/// <summary>
/// A model could not be fetched from the Hugging Face Hub or its cache: the repository or file is missing,
/// it needs a token, the download failed or was corrupt, or offline mode found nothing cached.
/// </summary>
public sealed class HubException(string message, Exception? inner = null) : Exception(message, inner);

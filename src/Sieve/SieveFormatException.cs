namespace Sieve;

/// <summary>
/// Thrown when something the user gave Sieve — a weights file, a config, a vocabulary, an image, an
/// option — is malformed or does not fit the model. The message names the file or field and says what
/// was expected and what was found; it is meant to be shown to the user as it is.
/// </summary>
public sealed class SieveFormatException : Exception
{
    /// <param name="message">What is wrong, naming the file or field, the expected and the found.</param>
    public SieveFormatException(string message) : base(message) { }

    /// <param name="message">What is wrong, naming the file or field, the expected and the found.</param>
    /// <param name="inner">The error that revealed it.</param>
    public SieveFormatException(string message, Exception inner) : base(message, inner) { }
}

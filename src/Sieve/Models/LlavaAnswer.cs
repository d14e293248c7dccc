namespace Sieve.Models;

/// <summary>One answer of <see cref="LlavaModel.Chat"/>.</summary>
/// <param name="Text">The answer's text (the stop token left out).</param>
/// <param name="Tokens">The generated ids, the stop token last when decoding ended on one.</param>
/// <param name="PromptTokens">Tokens the decoder's prefill ran: the prompt's, with the image placeholder expanded.</param>
/// <param name="VisualTokens">Of those, the image's (after any reduction).</param>
/// <param name="CacheBytes">Bytes the key/value cache held at the end.</param>
/// <param name="TimeToFirstToken">From the start of the image encoding to the first generated token.</param>
/// <param name="DecodeTime">From the first generated token to the last.</param>
public sealed record LlavaAnswer(string Text, int[] Tokens, int PromptTokens, int VisualTokens, long CacheBytes, TimeSpan TimeToFirstToken, TimeSpan DecodeTime);

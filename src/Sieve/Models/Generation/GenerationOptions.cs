using Sieve.Weights;

namespace Sieve.Models.Generation;

/// <summary>
/// How a caption or an answer is decoded, with Hugging Face's meanings: lengths count every token of the sequence, the
/// prompt included (BLIP's [DEC] and a conditional prompt's words); <see cref="Beams"/> 1 is greedy search.
/// </summary>
/// <param name="MaxLength">Most tokens in the sequence (<c>max_length</c>); decoding stops there.</param>
/// <param name="MinLength">The end token is forbidden while the sequence is shorter (<c>min_length</c>).</param>
/// <param name="Beams">Beam width (<c>num_beams</c>); 1 is greedy.</param>
/// <param name="RepetitionPenalty">
/// <c>repetition_penalty</c>: the logit of every token already in the sequence is divided by it when positive, multiplied
/// when negative (1: off).
/// </param>
/// <param name="LengthPenalty">Beam search ranks a finished sequence by its summed log-probability ÷ generated length^this (<c>length_penalty</c>).</param>
/// <param name="MaxNewTokens">Null, or most tokens to generate after the prompt (<c>max_new_tokens</c>; it overrides <paramref name="MaxLength"/>).</param>
/// <param name="Temperature">0: choose the most likely token; above 0: sample from softmax(logits / this) (<c>do_sample</c>, <c>temperature</c>).</param>
/// <param name="TopP">When sampling, only the most likely tokens whose probabilities add up to this are kept (<c>top_p</c>; 1: all).</param>
/// <param name="Seed">The sampler's seed: the same seed, prompt and options give the same tokens.</param>
/// <param name="TopK">When sampling, only the this many most likely tokens (and any tied with the last) are kept (<c>top_k</c>; 0: all).</param>
public sealed record GenerationOptions(int MaxLength = 20, int MinLength = 0, int Beams = 1, float RepetitionPenalty = 1f, float LengthPenalty = 1f,
    int? MaxNewTokens = null, float Temperature = 0f, float TopP = 1f, int Seed = 0, int TopK = 0)
{
    /// <summary>Most tokens a sequence may be asked for.</summary>
    public const int MaxTokens = 8192;

    /// <summary>Checks the values and returns this.</summary>
    /// <exception cref="ArgumentException">A value is out of range (named).</exception>
    public GenerationOptions Checked()
    {
        if (MaxLength is < 1 or > MaxTokens) throw new ArgumentException($"max length {MaxLength} is outside 1…{MaxTokens}");
        if (MinLength < 0 || MinLength > MaxLength) throw new ArgumentException($"min length {MinLength} is outside 0…{MaxLength} (the max length)");
        if (Beams is < 1 or > 64) throw new ArgumentException($"beam count {Beams} is outside 1…64");
        if (!(RepetitionPenalty > 0) || !float.IsFinite(RepetitionPenalty)) throw new ArgumentException($"repetition penalty {RepetitionPenalty} must be a positive number");
        if (!float.IsFinite(LengthPenalty)) throw new ArgumentException($"length penalty {LengthPenalty} must be a finite number");
        if (MaxNewTokens is < 1 or > MaxTokens) throw new ArgumentException($"max new tokens {MaxNewTokens} is outside 1…{MaxTokens}");
        if (!(Temperature >= 0) || !float.IsFinite(Temperature)) throw new ArgumentException($"temperature {Temperature} must be 0 (greedy) or a positive number");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p {TopP} is outside (0, 1]");
        if (TopK < 0) throw new ArgumentException($"top-k {TopK} must be 0 (all tokens) or a positive count");
        if (Temperature > 0 && Beams > 1) throw new ArgumentException("sampling (a temperature above 0) runs one sequence; it cannot be combined with beams");
        return this;
    }

    /// <summary>
    /// The defaults a checkpoint states, as <c>transformers</c> finds them: <c>generation_config.json</c> when the folder
    /// has one, else the decoder's own config section (<paramref name="textConfig"/>: <c>max_length</c>, <c>min_length</c>,
    /// <c>num_beams</c>, <c>repetition_penalty</c>, <c>length_penalty</c>), else Hugging Face's defaults (20, 0, 1, 1, 1).
    /// </summary>
    internal static GenerationOptions Read(string directory, JsonConfig textConfig)
    {
        string file = Path.Combine(directory, "generation_config.json");
        bool own = InputFile.IsPresent(file);
        var c = own ? JsonConfig.Load(file) : textConfig;
        var options = new GenerationOptions(
            c.Int("max_length", 20, 1, MaxTokens), c.Int("min_length", 0, 0, MaxTokens), c.Int("num_beams", 1, 1, 64),
            (float)c.Number("repetition_penalty", 1), (float)c.Number("length_penalty", 1));
        try
        {
            return options.Checked();
        }
        catch (ArgumentException e)
        {
            throw new SieveFormatException($"{(own ? file : Path.Combine(directory, "config.json"))}: {e.Message}", e);
        }
    }
}

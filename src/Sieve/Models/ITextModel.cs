using Sieve.Data;

namespace Sieve.Models;

/// <summary>A model with a text tower and the tokenizer that feeds it (CLIP, BLIP).</summary>
public interface ITextModel : IModel
{
    /// <summary>The tower that reads text.</summary>
    ITower TextTower { get; }

    /// <summary>
    /// Token ids of <paramref name="text"/> as the text tower takes them; a longer text is cut to the tower's length with
    /// a warning (CLIP), or refused with an <see cref="ArgumentException"/> where the model's processor does not cut (BLIP).
    /// </summary>
    TokenizedText Tokenize(string text);
}

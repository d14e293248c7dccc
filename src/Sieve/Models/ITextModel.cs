using Sieve.Data;

namespace Sieve.Models;

/// <summary>A model with a text tower and the tokenizer that feeds it (CLIP).</summary>
public interface ITextModel : IModel
{
    /// <summary>The tower that reads text.</summary>
    ITower TextTower { get; }

    /// <summary>Token ids of <paramref name="text"/> as the text tower takes them, cut to its length (with a warning).</summary>
    TokenizedText Tokenize(string text);
}

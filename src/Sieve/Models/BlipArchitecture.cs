namespace Sieve.Models;

/// <summary>Which Hugging Face BLIP head a checkpoint carries (its <c>architectures</c> entry).</summary>
public enum BlipArchitecture
{
    /// <summary><c>BlipForImageTextRetrieval</c>: text encoder, contrastive projections, matching head (<see cref="BlipModel"/>).</summary>
    ImageTextRetrieval,
    /// <summary><c>BlipForConditionalGeneration</c>: the text decoder reading the image tokens, for captions (<see cref="BlipGenerator"/>).</summary>
    ConditionalGeneration,
    /// <summary><c>BlipForQuestionAnswering</c>: the text encoder reading the image, and the decoder reading the question (<see cref="BlipGenerator"/>).</summary>
    QuestionAnswering,
}

namespace Sieve.Models;

/// <summary>
/// A model whose image and text embeddings share one space (CLIP; BLIP's contrastive heads), so an image and a
/// text compare by cosine: what retrieval and zero-shot labels rank by.
/// </summary>
public interface IDualEncoder : IImageEncoder, ITextModel;

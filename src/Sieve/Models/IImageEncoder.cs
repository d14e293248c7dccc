using Sieve.Data;

namespace Sieve.Models;

/// <summary>A model that turns an image into one embedding vector.</summary>
public interface IImageEncoder
{
    /// <summary>Length of the vectors <see cref="EncodeImage"/> returns.</summary>
    int EmbeddingSize { get; }

    /// <summary>How the model turns an image into its input tensor.</summary>
    ImagePreprocessor Preprocessor { get; }

    /// <summary>Preprocesses the image as the model expects and returns its embedding.</summary>
    float[] EncodeImage(RgbImage image);
}

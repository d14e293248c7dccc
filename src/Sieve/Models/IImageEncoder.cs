using Sieve.Data;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>A model that turns an image into one embedding vector.</summary>
public interface IImageEncoder
{
    /// <summary>Length of the vectors <see cref="EncodeImage"/> returns.</summary>
    int EmbeddingSize { get; }

    /// <summary>How the model turns an image into its input tensor.</summary>
    ImagePreprocessor Preprocessor { get; }

    /// <summary>The image tower's shape, for binding a token reducer (<see cref="ModelReduction.Bind"/>).</summary>
    TowerInfo ImageTower { get; }

    /// <summary>Preprocesses the image as the model expects and returns its embedding.</summary>
    /// <param name="image">The image.</param>
    /// <param name="reducer">Null for the dense model, or a reducer bound to <see cref="ImageTower"/>.</param>
    float[] EncodeImage(RgbImage image, TokenReducer? reducer = null);
}

using Sieve.Data;
using Sieve.Nn;

namespace Sieve.Models;

/// <summary>A model that turns an image into one embedding vector (a ViT's features, CLIP's image embedding).</summary>
public interface IImageEncoder : IModel
{
    /// <summary>Length of the vectors <see cref="EncodeImage(RgbImage)"/> returns.</summary>
    int EmbeddingSize { get; }

    /// <summary>How the model turns an image into its input tensor.</summary>
    ImagePreprocessor Preprocessor { get; }

    /// <summary>The tower that reads the image.</summary>
    ITower ImageTower { get; }

    /// <summary>Preprocesses the image as the model expects and returns its embedding (with the bound reducer, if any).</summary>
    float[] EncodeImage(RgbImage image);

    /// <summary>The embedding of an image already preprocessed (<see cref="Preprocessor"/>), with the bound reducer and <paramref name="hook"/> (e.g. a <c>ForwardTrace</c>).</summary>
    float[] EncodeImage(TowerInput image, BlockHook? hook = null);
}

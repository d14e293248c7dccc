using Sieve.Data;
using Sieve.Models;
using Sieve.Tensors;
using Sieve.Weights;

namespace Sieve.Fitting;

/// <summary>
/// The frozen model guidance is fitted for: its image tower and, for a CLIP, its text tower, each with the norm and
/// projection that read the tower's cross token (a ViT's final norm and class head; CLIP's last norms and
/// projections into the joint space), how images and texts become the towers' inputs, and the model's identity
/// for the guidance file.
/// </summary>
internal sealed class FitTarget
{
    readonly ITextModel? _text;

    FitTarget(string name, string fingerprint, IImageEncoder model)
    {
        Name = name;
        Fingerprint = fingerprint;
        Preprocessor = model.Preprocessor;
        var vision = Readout(model.ImageTower, name);
        Vision = vision;
        VisionHead = NormProjection.Of(vision.Readout);
        if (model is ITextModel text)
        {
            _text = text;
            var textTower = Readout(text.TextTower, name);
            Text = textTower;
            TextHead = NormProjection.Of(textTower.Readout);
        }
    }

    /// <summary>The model's name, as written into guidance metadata.</summary>
    public string Name { get; }

    /// <summary>The checkpoint's <see cref="ModelFingerprint"/>.</summary>
    public string Fingerprint { get; }

    /// <summary>The image tower.</summary>
    public ITower Vision { get; }

    /// <summary>The text tower, or null for a classifier.</summary>
    public ITower? Text { get; }

    /// <summary>Whether the model is a classifier (its image tower's readout is the class head; no text tower).</summary>
    public bool IsClassifier => Text == null;

    /// <summary>Classes of a classifier's head (0 for a CLIP).</summary>
    public int Classes => IsClassifier ? VisionHead.Outputs : 0;

    /// <summary>LN + head (classifier) or post-norm + visual projection (CLIP).</summary>
    internal NormProjection VisionHead { get; }

    /// <summary>CLIP's final text norm + text projection; null for a classifier.</summary>
    internal NormProjection? TextHead { get; }

    /// <summary>How an image becomes the image tower's input.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The text tower's token ids for a caption.</summary>
    /// <exception cref="InvalidOperationException">The model has no text tower.</exception>
    public int[] Tokenize(string text) => (_text ?? throw new InvalidOperationException($"'{Name}' has no text tower")).Tokenize(text).Ids;

    /// <summary>Loads a ViT or CLIP folder with the parts fitting reads.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="name">Name for the metadata (default: the folder's name).</param>
    /// <param name="precision">The frozen backbone's arithmetic: fitting only runs it forward (the gradient is carried
    /// back by hand through the float32 norm and projection), so an int8 backbone fits guidance for int8 runs.</param>
    public static FitTarget Load(string directory, string? name = null, Precision precision = Precision.Float32)
    {
        name ??= Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar));
        return new FitTarget(name, ModelFingerprint.Of(directory), ModelFolder.Load(directory, precision));
    }

    static IReadoutTower Readout(ITower tower, string name) => tower as IReadoutTower
        ?? throw new ArgumentException($"'{name}': the {tower.Info.Name} tower has no norm and projection a cross token could be read through");
}

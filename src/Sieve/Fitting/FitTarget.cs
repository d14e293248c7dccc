using Sieve.Nn;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Fitting;

/// <summary>
/// The frozen model guidance is fitted for: the loaded model (a ViT classifier or a CLIP), the norm and
/// projection that read each tower's cross token (a ViT's final norm and class head; CLIP's last norms
/// and projections into the joint space), and the model's identity for the guidance file.
/// </summary>
public sealed class FitTarget
{
    FitTarget(string name, string fingerprint, VitModel? classifier, ClipModel? clip, NormProjection vision, NormProjection? text)
    {
        Name = name;
        Fingerprint = fingerprint;
        Classifier = classifier;
        Clip = clip;
        VisionHead = vision;
        TextHead = text;
    }

    /// <summary>The model's name, as written into guidance metadata.</summary>
    public string Name { get; }

    /// <summary>The checkpoint's <see cref="ModelFingerprint"/>.</summary>
    public string Fingerprint { get; }

    /// <summary>The ViT classifier, or null for CLIP.</summary>
    public VitModel? Classifier { get; }

    /// <summary>The CLIP model, or null for a classifier.</summary>
    public ClipModel? Clip { get; }

    /// <summary>LN + head (classifier) or post-norm + visual projection (CLIP).</summary>
    public NormProjection VisionHead { get; }

    /// <summary>CLIP's final text norm + text projection; null for a classifier.</summary>
    public NormProjection? TextHead { get; }

    /// <summary>The image tower.</summary>
    public TowerInfo Vision => Classifier?.Info ?? Clip!.Vision.Info;

    /// <summary>The text tower, or null for a classifier.</summary>
    public TowerInfo? Text => Clip?.Text.Info;

    /// <summary>Loads a ViT or CLIP folder with the parts fitting reads.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="name">Name for the metadata (default: the folder's name).</param>
    public static FitTarget Load(string directory, string? name = null)
    {
        name ??= Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar));
        string fingerprint = ModelFingerprint.Of(directory);
        if (ModelFolder.Detect(directory) == ModelFamily.Vit)
        {
            var vit = VitModel.Load(directory);
            return new FitTarget(name, fingerprint, vit, null, NormProjection.Of(vit.Readout), null);
        }
        var clip = ClipModel.Load(directory);
        return new FitTarget(name, fingerprint, null, clip, NormProjection.Of(clip.Vision.Readout), NormProjection.Of(clip.Text.Readout));
    }
}

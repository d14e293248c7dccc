using Sieve.Nn;
using Sieve.Models;
using Sieve.Reduction;
using Sieve.Weights;

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
        using var file = CheckpointFiles.Open(directory);
        if (ModelFolder.Detect(directory) == ModelFamily.Vit)
        {
            var vit = VitModel.Load(directory);
            var c = vit.Config;
            return new FitTarget(name, fingerprint, vit, null,
                Head(file, "norm", c.LayerNormEps, "head", c.Width, c.NumClasses, bias: true), null);
        }
        var clip = ClipModel.Load(directory);
        var cc = clip.Config;
        return new FitTarget(name, fingerprint, null, clip,
            Head(file, "vision_model.post_layernorm", cc.Vision.LayerNormEps, "visual_projection", cc.Vision.Width, cc.ProjectionDim, bias: false),
            Head(file, "text_model.final_layer_norm", cc.Text.LayerNormEps, "text_projection", cc.Text.Width, cc.ProjectionDim, bias: false));
    }

    static NormProjection Head(CheckpointFiles file, string norm, float eps, string projection, int width, int outputs, bool bias)
    {
        double[] Read(string tensor, params int[] shape)
        {
            var x = new float[shape.Aggregate(1, (a, b) => a * b)];
            file.ReadFloats(tensor, shape, x);
            return Array.ConvertAll(x, v => (double)v);
        }
        return new NormProjection(Read(norm + ".weight", width), Read(norm + ".bias", width), eps,
            Read(projection + ".weight", outputs, width), bias ? Read(projection + ".bias", outputs) : null);
    }
}

namespace Sieve.Models;

/// <summary>
/// The tensor names of a timm ViT checkpoint (<c>vit_*</c>), read by <see cref="VitModel"/> and the ONNX exporter.
/// </summary>
internal static class VitLayout
{
    /// <summary>The patch embedding conv (with bias).</summary>
    public const string PatchEmbedding = "patch_embed.proj";

    /// <summary>The class token [1, 1, D].</summary>
    public const string ClassToken = "cls_token";

    /// <summary>The learned positions [1, tokens, D], class token first.</summary>
    public const string Positions = "pos_embed";

    /// <summary>The final LayerNorm.</summary>
    public const string Norm = "norm";

    /// <summary>The class head [classes, D] with bias.</summary>
    public const string Head = "head";

    /// <summary>Block <paramref name="i"/>.</summary>
    public static BlockNames Block(int i) => BlockNames.Timm(i);

    /// <summary>Refuses a checkpoint with a block past <paramref name="depth"/>, which the config does not describe.</summary>
    public static void CheckDepth(CheckpointReader weights, int depth)
    {
        if (weights.Has(Block(depth).Norm1 + ".weight"))
            throw new SieveFormatException($"checkpoint has more than the {depth} blocks its config.json describes");
    }
}

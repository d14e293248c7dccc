namespace Sieve.Models;

/// <summary>
/// The tensor names of a Hugging Face <c>LlavaForConditionalGeneration</c> checkpoint as saved by transformers before
/// 4.52 (<c>vision_tower.…</c>, <c>multi_modal_projector.…</c>, <c>language_model.model.…</c>,
/// <c>language_model.lm_head</c>) or after (<c>model.vision_tower.…</c>, <c>model.multi_modal_projector.…</c>,
/// <c>model.language_model.…</c>, <c>lm_head</c>); <see cref="Detect"/> tells which a checkpoint uses.
/// </summary>
internal sealed record LlavaLayout(string Vision, string Projector, string Decoder, string LmHead)
{
    /// <summary>The layout transformers saved before 4.52 (the llava-hf checkpoints on the Hub).</summary>
    public static LlavaLayout Legacy { get; } = new("vision_tower.", "multi_modal_projector.", "language_model.model.", "language_model.lm_head");

    /// <summary>The layout transformers saves from 4.52 on.</summary>
    public static LlavaLayout Current { get; } = new("model.vision_tower.", "model.multi_modal_projector.", "model.language_model.", "lm_head");

    /// <summary>The layout whose token embedding <paramref name="has"/> finds (legacy when neither).</summary>
    public static LlavaLayout Detect(Func<string, bool> has) => has(Current.Words) && !has(Legacy.Words) ? Current : Legacy;

    /// <summary>The token embeddings [vocabulary, D].</summary>
    public string Words => Decoder + "embed_tokens.weight";

    /// <summary>The RMSNorm after the last layer.</summary>
    public string FinalNorm => Decoder + "norm.weight";

    /// <summary>The projector's first linear layer (vision width → text width).</summary>
    public string Projector1 => Projector + "linear_1";

    /// <summary>The projector's second linear layer (text width → text width).</summary>
    public string Projector2 => Projector + "linear_2";

    /// <summary>Decoder layer <paramref name="i"/>'s prefix (…<c>layers.i.</c>).</summary>
    public string Layer(int i) => $"{Decoder}layers.{i}.";

    /// <summary>A CLIP tensor name (<c>vision_model.…</c>) inside the vision tower.</summary>
    public string VisionTensor(string clipName) => Vision + clipName;
}

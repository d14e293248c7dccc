namespace Sieve.Data;

/// <summary>
/// The prompt for one image and one question as LLaVA-1.5 was trained on it: <c>"USER: &lt;image&gt;\n{question} ASSISTANT:"</c>
/// (what llava-hf's chat template renders, less its trailing space after the question). A checkpoint's own Jinja
/// <c>chat_template</c> is not interpreted.
/// </summary>
internal static class LlavaChatTemplate
{
    /// <summary>The image placeholder the template holds once; it stands for every visual token.</summary>
    public const string ImageToken = "<image>";

    /// <summary>The prompt for <paramref name="question"/>.</summary>
    /// <exception cref="ArgumentException">The question is empty or holds an image placeholder of its own.</exception>
    public static string Format(string question)
    {
        if (string.IsNullOrWhiteSpace(question)) throw new ArgumentException("the question is empty", nameof(question));
        if (question.Contains(ImageToken, StringComparison.Ordinal))
            throw new ArgumentException($"the question contains \"{ImageToken}\"; the prompt holds the image's placeholder once, before the question", nameof(question));
        return $"USER: {ImageToken}\n{question} ASSISTANT:";
    }
}

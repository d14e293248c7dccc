using System.Text.Json;
using Sieve.Data.Jinja;
using Sieve.Weights;

namespace Sieve.Data;

/// <summary>
/// The prompt for one image and one question: the checkpoint's own Jinja <c>chat_template</c>
/// (<c>chat_template.jinja</c>, else <c>chat_template.json</c>, else <c>tokenizer_config.json</c>'s, as transformers
/// looks for them) rendered as a processor's <c>apply_chat_template</c> renders it for one user message whose content is
/// an image then the question's text, with <c>add_generation_prompt</c>; or, for a folder without one, LLaVA-1.5's
/// <c>"USER: &lt;image&gt;\n{question} ASSISTANT:"</c> (what llava-hf's template renders).
/// </summary>
internal sealed class LlavaChatTemplate
{
    /// <summary>The image placeholder the prompt holds once; it stands for every visual token.</summary>
    public const string ImageToken = "<image>";

    /// <summary>LLaVA-1.5's prompt, for folders without a template of their own: <see cref="Llava15Jinja"/>, rendered as any template is.</summary>
    public static readonly LlavaChatTemplate Llava15 = new(JinjaTemplate.Parse(Llava15Jinja, "LLaVA-1.5's built-in chat template"), file: null, "", "");

    /// <summary>
    /// LLaVA-1.5's chat template in the form llava-hf's <c>chat_template.json</c> holds it (written from its
    /// behaviour; <c>create-random --family llava</c> writes it): the role upper-cased, images before text, the text followed by a space, <c>ASSISTANT:</c> to generate.
    /// </summary>
    public const string Llava15Jinja =
        "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}{% endif %}" +
        "{# images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}" +
        "{# then the text #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}{% endfor %}" +
        "{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}" +
        "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";

    static readonly string[] Files = ["chat_template.jinja", "chat_template.json", "tokenizer_config.json"];

    readonly JinjaTemplate _jinja;
    readonly string? _file;
    readonly string _bos, _eos;

    LlavaChatTemplate(JinjaTemplate jinja, string? file, string bos, string eos) => (_jinja, _file, _bos, _eos) = (jinja, file, bos, eos);

    /// <summary>The file the template came from, or null for LLaVA-1.5's built-in prompt.</summary>
    public string? Source => _file;

    /// <summary>A template's text, with the file it came from (for errors).</summary>
    public static LlavaChatTemplate Parse(string template, string source, string bos, string eos) => new(JinjaTemplate.Parse(template, source), source, bos, eos);

    /// <summary>
    /// The template <paramref name="directory"/> ships, or <see cref="Llava15"/> when it has none. <c>bos_token</c> and
    /// <c>eos_token</c> are <c>tokenizer_config.json</c>'s when it names them, else <paramref name="bos"/> and <paramref name="eos"/>.
    /// </summary>
    /// <exception cref="SieveFormatException">A template file is malformed, or the template uses a construct Sieve does not interpret (named).</exception>
    public static LlavaChatTemplate Load(string directory, string bos, string eos)
    {
        string config = Path.Combine(directory, "tokenizer_config.json");
        if (InputFile.IsPresent(config))
        {
            var json = JsonConfig.Load(config);
            bos = TokenText(json, "bos_token") ?? bos;
            eos = TokenText(json, "eos_token") ?? eos;
        }
        foreach (string name in Files)
        {
            string path = Path.Combine(directory, name);
            if (!InputFile.IsPresent(path)) continue;
            if (name.EndsWith(".jinja", StringComparison.Ordinal)) return Parse(File.ReadAllText(path), path, bos, eos);
            if (TemplateText(JsonConfig.Load(path), path) is { } text) return Parse(text, path, bos, eos);
        }
        return Llava15;
    }

    /// <summary>A special token written as a string or as an added-token object with <c>content</c>.</summary>
    static string? TokenText(JsonConfig json, string name) => json.Find(name) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };

    /// <summary><c>chat_template</c>: a string, or a list of named templates of which "default" is taken; null when absent.</summary>
    static string? TemplateText(JsonConfig json, string path)
    {
        switch (json.Find("chat_template"))
        {
            case null: return null;
            case { ValueKind: JsonValueKind.String } s: return s.GetString();
            case { ValueKind: JsonValueKind.Array } list:
                foreach (var entry in list.EnumerateArray())
                    if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() == "default"
                        && entry.TryGetProperty("template", out var t) && t.ValueKind == JsonValueKind.String)
                        return t.GetString();
                throw new SieveFormatException($"{path}: chat_template is a list without an entry named \"default\"; Sieve renders the default template");
            default: throw new SieveFormatException($"{path}: chat_template must be a string or a list of {{\"name\", \"template\"}}");
        }
    }

    /// <summary>
    /// The prompt for <paramref name="question"/>, and whether the tokenizer should add its special tokens (not when the
    /// template already begins with <c>bos_token</c>, as transformers' processors decide).
    /// </summary>
    /// <exception cref="ArgumentException">The question is empty or holds an image placeholder of its own.</exception>
    /// <exception cref="SieveFormatException">The template raised an error, used something Sieve does not interpret, or did not place the image once.</exception>
    public (string Text, bool AddSpecialTokens) Format(string question)
    {
        if (string.IsNullOrWhiteSpace(question)) throw new ArgumentException("the question is empty", nameof(question));
        if (question.Contains(ImageToken, StringComparison.Ordinal))
            throw new ArgumentException($"the question contains \"{ImageToken}\"; the prompt holds the image's placeholder once, before the question", nameof(question));
        var content = new List<object?>
        {
            new Dictionary<string, object?> { ["type"] = "image" },
            new Dictionary<string, object?> { ["type"] = "text", ["text"] = question },
        };
        var messages = new List<object?> { new Dictionary<string, object?> { ["role"] = "user", ["content"] = content } };
        string text = _jinja.Render(new Dictionary<string, object?>
        {
            ["messages"] = messages, ["add_generation_prompt"] = true, ["bos_token"] = _bos, ["eos_token"] = _eos,
        });
        int images = (text.Length - text.Replace(ImageToken, "", StringComparison.Ordinal).Length) / ImageToken.Length;
        if (images != 1)
            throw new SieveFormatException($"{_jinja.Source}: the chat template rendered {images} image placeholders ({ImageToken}) for one image; expected 1");
        return (text, !(_bos.Length > 0 && text.StartsWith(_bos, StringComparison.Ordinal)));
    }
}

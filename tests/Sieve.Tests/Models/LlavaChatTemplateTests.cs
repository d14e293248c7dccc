using System.Text.Json;
using System.Text.Json.Nodes;
using Sieve.Data;
using Sieve.Models;
using Sieve.Tests.Support;

namespace Sieve.Tests.Models;

/// <summary>
/// A LLaVA folder's own chat template (<see cref="LlavaChatTemplate"/>): templates in the style of llava-1.5-hf,
/// llava-interleave-qwen and llava-v1.6-mistral, each in one of the three places transformers reads them from, rendered
/// for one image and a question and tokenized; every expected string and id written down by hand.
/// </summary>
public class LlavaChatTemplateTests
{
    const string Question = "cat?";

    /// <summary>LLaVA-1.5's prompt "USER: &lt;image&gt;\ncat? ASSISTANT:" as ids (see LlavaModelTests' hand-written pieces).</summary>
    static readonly string[] Llava15Pieces = ["<s>", "▁US", "ER", ":", "▁", "<image>", "▁", "<0x0A>", "cat", "?", "▁", "A", "S", "S", "I", "S", "T", "A", "N", "T", ":"];

    static int[] Ids(IEnumerable<string> pieces, Dictionary<string, int>? added = null) =>
        pieces.Select(p => p == "<s>" ? 1 : added != null && added.TryGetValue(p, out int id) ? id : TinyLlava.Id(p)).ToArray();

    static (string Text, bool AddSpecial) Render(LlavaModel model) => LlavaChatTemplate.Load(Path.GetDirectoryName(model.ChatTemplateFile)!, "<s>", "</s>").Format(Question);

    [Fact]
    public void Llava15HfTemplateGivesTheBuiltInPromptAndItsIds()
    {
        using var ck = TinyLlava.Write(300);
        var model = LlavaModel.Load(ck.Directory);
        Assert.Equal(Path.Combine(ck.Directory, "chat_template.json"), model.ChatTemplateFile);
        Assert.Equal(("USER: <image>\ncat? ASSISTANT:", true), Render(model));
        Assert.Equal(Ids(Llava15Pieces), model.PromptIds(Question, 1));

        using var bare = TinyLlava.Write(301, chatTemplate: false);
        var builtIn = LlavaModel.Load(bare.Directory);
        Assert.Null(builtIn.ChatTemplateFile);
        Assert.Equal(Ids(Llava15Pieces), builtIn.PromptIds(Question, 1));
    }

    [Fact]
    public void InterleaveQwenStyleJinjaFileWithWhitespaceControl()
    {
        using var ck = TinyLlava.Write(302, chatTemplate: false);
        // ChatML, as llava-interleave-qwen's template renders it, written over several indented lines as chat_template.jinja.
        File.WriteAllText(Path.Combine(ck.Directory, "chat_template.jinja"), """
            {%- for message in messages %}
            {{- '<|im_start|>' + message['role'] + '\n' }}
              {%- for content in message['content'] | selectattr('type', 'equalto', 'image') %}
            {{- '<image>\n' }}
              {%- endfor %}
              {%- for content in message['content'] | selectattr('type', 'equalto', 'text') %}
            {{- content['text'] }}
              {%- endfor %}
            {{- '<|im_end|>' + '\n' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\n' }}
            {%- endif %}

            """);
        var added = new Dictionary<string, int> { ["<|im_start|>"] = TinyLlava.ImageToken + 2, ["<|im_end|>"] = TinyLlava.ImageToken + 3 };
        AddTokens(ck.Directory, added);
        var model = LlavaModel.Load(ck.Directory);
        Assert.Equal(("<|im_start|>user\n<image>\ncat?<|im_end|>\n<|im_start|>assistant\n", true), Render(model));
        // Each piece between added tokens gets its "▁"; lower-case u and n are not in the tiny vocabulary, so they are bytes.
        string[] pieces = ["<s>", "<|im_start|>", "▁", "<0x75>", "s", "e", "r", "<0x0A>", "<image>", "▁", "<0x0A>", "cat", "?", "<|im_end|>", "▁", "<0x0A>",
            "<|im_start|>", "▁", "a", "s", "s", "i", "s", "t", "a", "<0x6E>", "t", "<0x0A>"];
        Assert.Equal(Ids(pieces, added), model.PromptIds(Question, 1));
    }

    [Fact]
    public void MistralStyleTemplateInTokenizerConfig()
    {
        using var ck = TinyLlava.Write(303, chatTemplate: false);
        // llava-v1.6-mistral's form: no generation prompt, raise_exception for other roles.
        const string template = "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' }}" +
            "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}" +
            "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}{{' [/INST]' }}" +
            "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'][0]['text'] + '<\\s> '}}" +
            "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
        File.WriteAllText(Path.Combine(ck.Directory, "tokenizer_config.json"), JsonSerializer.Serialize(new { bos_token = "<s>", eos_token = "</s>", chat_template = template }));
        var model = LlavaModel.Load(ck.Directory);
        Assert.Equal(Path.Combine(ck.Directory, "tokenizer_config.json"), model.ChatTemplateFile);
        Assert.Equal(("[INST] <image>\ncat? [/INST]", true), Render(model));
        string[] pieces = ["<s>", "▁", "<0x5B>", "I", "N", "S", "T", "<0x5D>", "▁", "<image>", "▁", "<0x0A>", "cat", "?", "▁", "<0x5B>", "<0x2F>", "I", "N", "S", "T", "<0x5D>"];
        Assert.Equal(Ids(pieces), model.PromptIds(Question, 1));
    }

    [Fact]
    public void ATemplateThatWritesBosTokenIsNotGivenASecondOne()
    {
        using var ck = TinyLlava.Write(304, chatTemplate: false);
        const string template = "{{ bos_token }}USER: {% for c in messages[0].content %}{% if c.type == 'image' %}<image>\n{% else %}{{ c.text }}{% endif %}{% endfor %} ASSISTANT:";
        File.WriteAllText(Path.Combine(ck.Directory, "tokenizer_config.json"), JsonSerializer.Serialize(new { bos_token = new { content = "<s>", special = true }, chat_template = template }));
        var model = LlavaModel.Load(ck.Directory);
        Assert.Equal(Ids(Llava15Pieces), model.PromptIds(Question, 1));
    }

    [Fact]
    public void TemplateProblemsAreOneLineErrorsNamingTheFile()
    {
        using var ck = TinyLlava.Write(305, chatTemplate: false);
        string jinja = Path.Combine(ck.Directory, "chat_template.jinja");
        File.WriteAllText(jinja, "{% for m in messages %}\n{{ m | tojson }}{% endfor %}");
        var e = Assert.Throws<SieveFormatException>(() => LlavaModel.Load(ck.Directory));
        Assert.Equal($"{jinja}: chat template: line 2: the filter 'tojson' is not supported (Sieve has trim, length, count, upper, lower, selectattr)", e.Message);

        File.WriteAllText(jinja, "{{ messages[0].content[1].text }}");
        var noImage = LlavaModel.Load(ck.Directory);
        e = Assert.Throws<SieveFormatException>(() => noImage.PromptIds(Question, 1));
        Assert.Equal($"{jinja}: the chat template rendered 0 image placeholders (<image>) for one image; expected 1", e.Message);
    }

    /// <summary>Adds special tokens to the folder's tokenizer.json.</summary>
    static void AddTokens(string directory, Dictionary<string, int> tokens)
    {
        string path = Path.Combine(directory, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var (content, id) in tokens)
            json["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = id, ["content"] = content, ["special"] = true });
        File.WriteAllText(path, json.ToJsonString());
    }
}

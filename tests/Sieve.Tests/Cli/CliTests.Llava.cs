using System.Text.Json;
using Sieve.Data;
using Sieve.Models;
using Sieve.Models.Generation;
using Sieve.Reduction;
using Sieve.Tests.Support;

namespace Sieve.Tests.Cli;

/// <summary><c>sieve chat</c> and <c>sieve create-random --family llava</c> end to end on generated LLaVA folders.</summary>
public sealed partial class CliTests
{
    [Fact]
    public void ChatStreamsTheLibrarysAnswerAndJsonReportsItsCounts()
    {
        using var ck = TinyLlava.Write(131);
        string image = WriteImage("llava.png", 13, 48);
        var model = LlavaModel.Load(ck.Directory);
        var pixels = model.Preprocess(ImageDecoder.Decode(image));
        var want = model.Chat(pixels, "cat?", new GenerationOptions(MaxNewTokens: 5));

        var run = Run("chat", "--model", ck.Directory, "--image", image, "cat?", "--max-new-tokens", "5");
        Assert.True(run.Code == 0, run.Output);
        Assert.Equal(want.Text + Environment.NewLine, run.Stdout);

        run = Run("chat", "--model", ck.Directory, "--image", image, "cat?", "dog?", "--max-new-tokens", "5", "--json", "--reducer", "tome:r=4");
        Assert.True(run.Code == 0, run.Output);
        var rows = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["cat?", "dog?"], rows.Select(r => r.GetProperty("question").GetString()));
        var reduced = model.WithReduction(ModelReduction.Parse("tome:r=4")).Chat(pixels, "dog?", new GenerationOptions(MaxNewTokens: 5));
        Assert.Equal(reduced.Text, rows[1].GetProperty("answer").GetString());
        // ToMe r=4 in each of the 2 vision layers run: 8 of the 16 patch tokens merged away before the projector.
        Assert.Equal(8, rows[1].GetProperty("visual_tokens").GetInt32());
        Assert.Equal(reduced.PromptTokens, rows[1].GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(reduced.CacheBytes, rows[1].GetProperty("kv_cache_bytes").GetInt64());

        string questions = Path.Combine(_temp.Path, "llava-questions.txt");
        File.WriteAllLines(questions, ["cat?", "", "dog?"]);
        run = Run("chat", "--model", ck.Directory, "--image", image, "--questions", questions, "--max-new-tokens", "5");
        Assert.True(run.Code == 0, run.Output);
        Assert.Equal(2, run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("cat?\t", run.Stdout);
    }

    [Fact]
    public void ChatBadInputIsOneLineAndExitCode2()
    {
        using var ck = TinyLlava.Write(132, new TinyLlava.Shape(Positions: 40));
        string image = WriteImage("llava-bad.png", 14, 48);
        void AssertError(CliRun run, string message)
        {
            Assert.Equal(2, run.Code);
            Assert.Equal("", run.Stdout);
            Assert.Contains(message, run.Stderr);
            Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        AssertError(Run("chat", "--model", ck.Directory, "--image", image, "cat?", "--max-new-tokens", "30"), "more than the decoder's 40 positions (max_position_embeddings)");
        AssertError(Run("chat", "--model", ck.Directory, "--image", image), "no question");
        File.Delete(Path.Combine(ck.Directory, "tokenizer.json"));
        AssertError(Run("chat", "--model", ck.Directory, "--image", image, "cat?"), "tokenizer.json is missing");
        using var blip = TinyBlip.Write(133);
        AssertError(Run("chat", "--model", blip.Directory, "--image", image, "cat?"), "is not a LLaVA model");
    }

    [Fact]
    public void ChatNotesAFolderWithoutChatTemplateAndRefusesOneItCannotInterpret()
    {
        using var ck = TinyLlava.Write(134, chatTemplate: false);
        string image = WriteImage("llava-template.png", 16, 48);
        var run = Run("chat", "--model", ck.Directory, "--image", image, "cat?", "--max-new-tokens", "2");
        Assert.True(run.Code == 0, run.Output);
        Assert.Equal($"note: {ck.Directory} has no chat template (chat_template.jinja, chat_template.json or tokenizer_config.json); using LLaVA-1.5's prompt", run.Stderr.Trim());

        using var own = TinyLlava.Write(135);
        run = Run("chat", "--model", own.Directory, "--image", image, "cat?", "--max-new-tokens", "2");
        Assert.True(run.Code == 0, run.Output);
        Assert.Equal("", run.Stderr);

        File.WriteAllText(Path.Combine(ck.Directory, "chat_template.jinja"), "{% set ns = namespace(n=0) %}");
        run = Run("chat", "--model", ck.Directory, "--image", image, "cat?");
        Assert.Equal(2, run.Code);
        Assert.Equal("", run.Stdout);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("chat_template.jinja: chat template: line 1: keyword arguments (n=…) are not supported", run.Stderr);
    }

    [Fact]
    public void CreateRandomLlavaWritesAFolderChatRuns()
    {
        string dir = Path.Combine(_temp.Path, "random-llava");
        var run = Run("create-random", "--family", "llava", "--out", dir);
        Assert.True(run.Code == 0, run.Output);
        Assert.Equal(Path.GetFullPath(dir), run.Stdout.Trim());
        run = Run("chat", "--model", dir, "--image", WriteImage("llava-random.png", 15), "what color is the cat?", "--max-new-tokens", "3", "--json");
        Assert.True(run.Code == 0, run.Output);
        var row = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(49, row.GetProperty("visual_tokens").GetInt32()); // 224 px in 32-pixel patches
        Assert.InRange(row.GetProperty("tokens").GetInt32(), 1, 3);
    }
}

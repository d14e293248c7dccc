using System.Text.Json;

namespace Sieve.Tests.Support;

/// <summary>
/// A 60-entry CLIP BPE vocabulary (matching <see cref="TinyModels.ClipVocab"/>): the 26 letters, the
/// 26 letters ending a word, four merges for "cat" and "dog", and the two special tokens at 58, 59.
/// </summary>
public static class TinyClipVocab
{
    public static void WriteTo(string directory)
    {
        var vocab = new Dictionary<string, int>();
        for (int i = 0; i < 26; i++) vocab[((char)('a' + i)).ToString()] = i;
        for (int i = 0; i < 26; i++) vocab[(char)('a' + i) + "</w>"] = 26 + i;
        string[] merges = ["c a", "ca t</w>", "d o", "do g</w>"];
        vocab["ca"] = 52;
        vocab["cat</w>"] = 53;
        vocab["do"] = 54;
        vocab["dog</w>"] = 55;
        vocab["th"] = 56; // filler entries keep ids dense
        vocab["xy"] = 57;
        vocab["<|startoftext|>"] = 58;
        vocab["<|endoftext|>"] = 59;
        File.WriteAllText(Path.Combine(directory, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllLines(Path.Combine(directory, "merges.txt"), ["#version: 0.2", .. merges]);
    }
}

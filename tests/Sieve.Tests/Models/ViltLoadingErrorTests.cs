using Sieve.Data;
using Sieve.Models;
using Sieve.Tests.Support;
using Sieve.Weights;

namespace Sieve.Tests.Models;

/// <summary>A ViLT folder or input that does not fit gives one clear error naming the file, tensor, field or limit.</summary>
public class ViltLoadingErrorTests
{
    static RgbImage Image(int width, int height, int seed = 1)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var ck = TinyVilt.Write(91);
        ModelLoadingErrorTests.RewriteWithout(ck.Directory, "vilt.encoder.layer.1.output.dense.bias");
        Assert.Contains("vilt.encoder.layer.1.output.dense.bias", Assert.Throws<SieveFormatException>(() => ViltModel.Load(ck.Directory)).Message);
    }

    [Fact]
    public void WrongShapeIsNamedWithExpectedAndFound()
    {
        using var ck = TinyVilt.Write(92);
        ModelLoadingErrorTests.RewriteWithout(ck.Directory, "", ("vilt.embeddings.position_embeddings", [1, 10, 32]));
        var e = Assert.Throws<SieveFormatException>(() => ViltModel.Load(ck.Directory));
        Assert.Contains("vilt.embeddings.position_embeddings", e.Message);
        Assert.Contains("[1, 10, 32]", e.Message);
        Assert.Contains("[1, 17, 32]", e.Message);
    }

    [Fact]
    public void VqaHeadSizeComesFromId2Label()
    {
        using var ck = TinyVilt.Write(93, editConfig: c => c["id2label"] = new Dictionary<string, string> { ["0"] = "yes", ["1"] = "no" });
        var e = Assert.Throws<SieveFormatException>(() => ViltModel.Load(ck.Directory));
        Assert.Contains("classifier.3.weight", e.Message);
        Assert.Contains("[2, 64]", e.Message);
    }

    [Fact]
    public void ConfigProblemsNameTheField()
    {
        using var relu = TinyVilt.Write(94, editConfig: c => c["hidden_act"] = "relu");
        Assert.Contains("hidden_act", Assert.Throws<SieveFormatException>(() => ViltModel.Load(relu.Directory)).Message);
        using var heads = TinyVilt.Write(95, editConfig: c => c["num_attention_heads"] = 5);
        Assert.Contains("hidden_size 32 with 5 heads", Assert.Throws<SieveFormatException>(() => ViltModel.Load(heads.Directory)).Message);
        using var deeper = TinyVilt.Write(96, editConfig: c => c["num_hidden_layers"] = 1);
        Assert.Contains("more than the 1 layers", Assert.Throws<SieveFormatException>(() => ViltModel.Load(deeper.Directory)).Message);
        Assert.Throws<ArgumentException>(() => new ViltConfig(32, 2, 4, 64, 1e-12f, 30, 8, 12, 30));
    }

    [Fact]
    public void MissingVocabularyIsReportedWhenTextIsNeeded()
    {
        using var ck = TinyVilt.Write(97, new TinyVilt.Shape(VocabFile: false));
        var model = ViltModel.Load(ck.Directory); // images alone need no vocabulary
        var e = Assert.Throws<SieveFormatException>(() => model.Answer(Image(40, 40), "what?"));
        Assert.Contains(ck.Directory, e.Message);
        Assert.Contains("vocab.txt", e.Message);
    }

    [Fact]
    public void LongQuestionIsTruncatedWithAWarning()
    {
        using var ck = TinyVilt.Write(98);
        var model = ViltModel.Load(ck.Directory);
        var input = model.Prepare(Image(48, 40), "what is the color of the cat on the sofa of the dog?");
        Assert.Equal(12, input.Ids.Length);
        Assert.Equal(TinyVilt.Id("[SEP]"), input.Ids[^1]);
        Assert.Equal("the text has 16 tokens, more than the model's 12; its last 4 were dropped", input.Warning);
        Assert.Equal(5, model.Answer(input).Length);
        Assert.Null(model.Prepare(Image(48, 40), "what is it?").Warning);
    }

    [Fact]
    public void InputsThatDoNotFitAreRefused()
    {
        using var ck = TinyVilt.Write(99);
        var model = ViltModel.Load(ck.Directory);
        var small = new ViltInput([2, 3], new float[3 * 6 * 40], 6, 40);
        Assert.Contains("smaller than one 8×8 patch", Assert.Throws<ArgumentException>(() => model.Pooled(small)).Message);
        var longIds = new ViltInput(Enumerable.Repeat(5, 13).ToArray(), new float[3 * 32 * 32], 32, 32);
        Assert.Contains("13 tokens exceed the model's 12 text positions", Assert.Throws<ArgumentException>(() => model.Pooled(longIds)).Message);
        var badId = new ViltInput([2, 99, 3], new float[3 * 32 * 32], 32, 32);
        Assert.Contains("token id 99 at position 1", Assert.Throws<ArgumentException>(() => model.Pooled(badId)).Message);
        Assert.Contains("first token ([CLS])", Assert.Throws<ArgumentException>(() => new ViltInput([0, 2, 3], new float[3 * 32 * 32], 32, 32, [0, 1, 1])).Message);
        Assert.Contains("expected 3×32×32", Assert.Throws<ArgumentException>(() => new ViltInput([2, 3], new float[10], 32, 32)).Message);
        Assert.Throws<ArgumentException>(() => model.Answer(new RgbImage(400, 4, new byte[400 * 4 * 3]), "what?"));
    }

    [Fact]
    public void ImagesBeyondMaxImageLengthAreRefused()
    {
        using var ck = TinyVilt.Write(100, editConfig: c => c["max_image_length"] = 10);
        var model = ViltModel.Load(ck.Directory);
        var e = Assert.Throws<ArgumentException>(() => model.Pooled(new ViltInput([2, 3], new float[3 * 32 * 32], 32, 32)));
        Assert.Contains("16 patches, more than max_image_length 10", e.Message);
    }
}

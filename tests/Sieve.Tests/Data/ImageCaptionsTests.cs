using System.Text.Json;
using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

/// <summary>
/// Image–caption sets from COCO captions and Karpathy-split JSON: images in path order, each image's captions
/// in file order and contiguous, caption → image indices, and each bad input a one-line error naming it.
/// </summary>
public sealed class ImageCaptionsTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-captions-");

    public void Dispose() => _temp.Dispose();

    /// <summary>An empty file: the reader checks that images exist, it does not decode them.</summary>
    string Touch(params string[] parts)
    {
        string path = Path.Combine([_temp.Path, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
        return path;
    }

    string Json(object value, params string[] parts)
    {
        string path = Path.Combine([_temp.Path, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(value));
        return path;
    }

    /// <summary>COCO's layout: annotations/captions_val2017.json, images in val2017/, listed out of path order.</summary>
    string CocoFile(object? annotations = null)
    {
        string b = Touch("val2017", "b.jpg"), a = Touch("val2017", "a.jpg");
        return Json(new
        {
            images = new object[] { new { id = 7, file_name = "b.jpg" }, new { id = 3, file_name = "a.jpg" } },
            annotations = annotations ?? new object[]
            {
                new { image_id = 7, caption = "b one" }, new { image_id = 3, caption = " a one " },
                new { image_id = 99, caption = "of an image listed elsewhere" }, new { image_id = 7, caption = "b two" },
            },
        }, "annotations", "captions_val2017.json");
    }

    [Fact]
    public void CocoCaptionsComeByImagePathThenFileOrder()
    {
        var set = ImageCaptions.Load(CocoFile());
        Assert.Equal([Path.Combine(_temp.Path, "val2017", "a.jpg"), Path.Combine(_temp.Path, "val2017", "b.jpg")], set.Images);
        Assert.Equal(["a one", "b one", "b two"], set.Captions);
        Assert.Equal([0, 1, 1], set.ImageOf);
        Assert.Equal([(set.Images[0], "a one"), (set.Images[1], "b one"), (set.Images[1], "b two")], set.Pairs);
    }

    [Fact]
    public void CocoImagesBesideTheJsonOrUnderAGivenRoot()
    {
        Touch("flat", "a.jpg");
        string beside = Json(new { images = new[] { new { id = 1, file_name = "a.jpg" } }, annotations = new[] { new { image_id = 1, caption = "x" } } }, "flat", "captions_val2017.json");
        Assert.Equal([Path.Combine(_temp.Path, "flat", "a.jpg")], ImageCaptions.Load(beside).Images);

        string elsewhere = Path.Combine(_temp.Path, "elsewhere");
        Touch("elsewhere", "a.jpg");
        Assert.Equal([Path.Combine(elsewhere, "a.jpg")], ImageCaptions.Load(beside, imageRoot: elsewhere).Images);
    }

    /// <summary>Karpathy's dataset_coco.json shape: filepath + filename, one split per image, sentences with raw text.</summary>
    string KarpathyCoco()
    {
        foreach (var (folder, name) in new[] { ("val2014", "v2.jpg"), ("val2014", "v1.jpg"), ("train2014", "t.jpg"), ("val2014", "r.jpg") }) Touch("coco", folder, name);
        static object Image(string path, string file, string split, params string[] raw) =>
            new { filepath = path, filename = file, split, sentences = raw.Select(r => new { raw = r, tokens = r.Split(' ') }) };
        return Json(new
        {
            dataset = "coco",
            images = new[]
            {
                Image("val2014", "v2.jpg", "test", "second test image", "its second caption"),
                Image("train2014", "t.jpg", "train", "a training image"),
                Image("val2014", "v1.jpg", "test", "first test image "),
                Image("val2014", "r.jpg", "restval", "a restval image"),
            },
        }, "karpathy", "dataset_coco.json");
    }

    [Fact]
    public void KarpathySplitIsChosenTestByDefaultAndImagesLieUnderRootAndFilepath()
    {
        string json = KarpathyCoco(), root = Path.Combine(_temp.Path, "coco");
        var test = ImageCaptions.Load(json, imageRoot: root);
        Assert.Equal([Path.Combine(root, "val2014", "v1.jpg"), Path.Combine(root, "val2014", "v2.jpg")], test.Images);
        Assert.Equal(["first test image", "second test image", "its second caption"], test.Captions);
        Assert.Equal([0, 1, 1], test.ImageOf);

        var restval = ImageCaptions.Load(json, "restval", root);
        Assert.Equal([Path.Combine(root, "val2014", "r.jpg")], restval.Images);
        Assert.Equal(["a restval image"], restval.Captions);
        Assert.Equal(["a training image"], ImageCaptions.Load(json, "train", root).Captions);
    }

    [Fact]
    public void KarpathyFlickrHasNoFilepathAndImagesDefaultBesideTheJson()
    {
        Touch("flickr", "1.jpg");
        string json = Json(new { images = new[] { new { filename = "1.jpg", split = "test", sentences = new[] { new { raw = "a dog runs" } } } } }, "flickr", "dataset_flickr30k.json");
        var set = ImageCaptions.Load(json);
        Assert.Equal([Path.Combine(_temp.Path, "flickr", "1.jpg")], set.Images);
        Assert.Equal(["a dog runs"], set.Captions);
    }

    [Fact]
    public void AMissingImageIsAnErrorNamingIt()
    {
        string json = CocoFile();
        File.Delete(Path.Combine(_temp.Path, "val2017", "b.jpg"));
        var e = Assert.Throws<FileNotFoundException>(() => ImageCaptions.Load(json));
        Assert.Contains("b.jpg' does not exist", e.Message);

        string karpathy = KarpathyCoco();
        File.Delete(Path.Combine(_temp.Path, "coco", "val2014", "v1.jpg"));
        e = Assert.Throws<FileNotFoundException>(() => ImageCaptions.Load(karpathy, imageRoot: Path.Combine(_temp.Path, "coco")));
        Assert.Contains("v1.jpg' does not exist", e.Message);
    }

    [Fact]
    public void NotJsonIsAFormatErrorNamingTheFile()
    {
        string json = _temp.File("captions.json");
        File.WriteAllText(json, "{ images: [");
        var e = Assert.Throws<SieveFormatException>(() => ImageCaptions.Load(json));
        Assert.StartsWith($"{json}: not valid JSON", e.Message);
    }

    [Fact]
    public void MissingFieldsAreFormatErrors()
    {
        Assert.Contains("an entry of \"annotations\" lacks a numeric \"image_id\" or a \"caption\"",
            Assert.Throws<SieveFormatException>(() => ImageCaptions.Load(CocoFile(new[] { new { image_id = 7 } }))).Message);
        // An id written as a string is a missing numeric id, not a crash.
        Assert.Contains("lacks a numeric \"image_id\"",
            Assert.Throws<SieveFormatException>(() => ImageCaptions.Load(CocoFile(new[] { new { image_id = "7", caption = "x" } }))).Message);
        Assert.Contains("not a captions file", Assert.Throws<SieveFormatException>(() => ImageCaptions.Load(Json(new { annotations = new int[0] }, "no-images.json"))).Message);
        Assert.Contains("no caption belongs to an image the file lists",
            Assert.Throws<SieveFormatException>(() => ImageCaptions.Load(CocoFile(new[] { new { image_id = 99, caption = "x" } }))).Message);

        string noName = Json(new { images = new[] { new { split = "test", sentences = new[] { new { raw = "x" } } } } }, "k1.json");
        Assert.Equal($"{noName}: images[0] lacks a string \"filename\"", Assert.Throws<SieveFormatException>(() => ImageCaptions.Load(noName)).Message);
        Touch("1.jpg");
        string noRaw = Json(new { images = new[] { new { filename = "1.jpg", split = "test", sentences = new[] { new { tokens = "x" } } } } }, "k2.json");
        Assert.Contains("a sentence of images[0]", Assert.Throws<SieveFormatException>(() => ImageCaptions.Load(noRaw)).Message);
    }

    [Fact]
    public void ASplitTheFileLacksOrThatDoesNotApplyIsRefused()
    {
        string json = KarpathyCoco();
        Assert.EndsWith("no image in split 'dev' (the file's splits: restval, test, train)",
            Assert.Throws<SieveFormatException>(() => ImageCaptions.Load(json, "dev", Path.Combine(_temp.Path, "coco"))).Message);
        Assert.Contains("applies only to Karpathy-split files", Assert.Throws<ArgumentException>(() => ImageCaptions.Load(CocoFile(), "test")).Message);
    }

    [SharedDataFact]
    public void CocoMiniReadsEndToEnd()
    {
        var val = ImageCaptions.Load(SharedData.Path("data", "coco-mini", "annotations", "captions_val2017.json"));
        var train = ImageCaptions.Load(SharedData.Path("data", "coco-mini", "annotations", "captions_train2017.json"));
        Assert.Equal((79, 395), (val.Images.Count, val.Captions.Count));
        Assert.Equal((80, 400), (train.Images.Count, train.Captions.Count));
        foreach (var set in new[] { val, train })
        {
            Assert.All(set.Images, image => Assert.True(File.Exists(image), image));
            Assert.Equal(set.Images.Order(StringComparer.Ordinal), set.Images);
            Assert.All(Enumerable.Range(0, set.Images.Count), i => Assert.Equal(5, set.ImageOf.Count(image => image == i)));
        }
        // Looked up by hand in captions_val2017.json: the first file and its first caption.
        Assert.Equal(SharedData.Path("data", "coco-mini", "val2017", "000000000139.jpg"), val.Images[0]);
        Assert.Equal("A woman stands in the dining area at the table.", val.Captions[0]);
        Assert.Equal("A living area with a television and a table", val.Captions[4]);
    }
}

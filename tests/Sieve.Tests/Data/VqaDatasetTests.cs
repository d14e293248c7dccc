using System.Text.Json;
using Sieve.Data;
using Sieve.Tests.Support;

namespace Sieve.Tests.Data;

/// <summary>
/// VQAv2 questions + annotations paired by question id, images found by COCO's 2014 or 2017 file names or an
/// explicit map, and each mismatch or missing piece a one-line error naming the file and the id.
/// </summary>
public sealed class VqaDatasetTests : IDisposable
{
    readonly TempFolder _temp = new("sieve-vqa-");

    public void Dispose() => _temp.Dispose();

    string Images(string folder, params string[] names)
    {
        string path = Path.Combine(_temp.Path, folder);
        Directory.CreateDirectory(path);
        foreach (string name in names) File.WriteAllBytes(Path.Combine(path, name), []);
        return path;
    }

    string Json(string name, object value)
    {
        File.WriteAllText(_temp.File(name), JsonSerializer.Serialize(value));
        return _temp.File(name);
    }

    static object Question(long id, long image, string text) => new { image_id = image, question = text, question_id = id };

    static object Annotation(long id, long image, string top, params string[] answers) => new
    {
        question_id = id, image_id = image, multiple_choice_answer = top,
        answers = answers.Select((a, k) => new { answer = a, answer_confidence = "yes", answer_id = k + 1 }),
    };

    string Questions(params object[] questions) => Json("questions.json", new { data_subtype = "val2014", questions });

    string Annotations(params object[] annotations) => Json("annotations.json", new { annotations });

    static readonly string[] Ten = ["3", "2", "2", "two", "2", "2", "2", "2", "2", "2"];

    [Fact]
    public void QuestionsPairWithTheirAnnotationsInQuestionsFileOrder()
    {
        // The folder's name says nothing: the 2014 prefix comes from the questions file's data_subtype.
        string folder = Images("vqa-images", "COCO_val2014_000000000042.jpg", "COCO_val2014_000000000007.jpg");
        // The annotations come in the other order: pairing is by question id, not position.
        var read = VqaDataset.Load(
            Questions(Question(420, 42, "How many dogs?"), Question(70, 7, "Is it raining?")),
            Annotations(Annotation(70, 7, "no", [.. Enumerable.Repeat("no", 10)]), Annotation(420, 42, "2", Ten)),
            folder);
        Assert.Equal([420L, 70L], read.Select(q => q.QuestionId));
        Assert.Equal(new VqaQuestion(420, 42, Path.Combine(folder, "COCO_val2014_000000000042.jpg"), "How many dogs?", read[0].Answers, "2"), read[0]);
        Assert.Equal(Ten, read[0].Answers);
        Assert.Equal((7L, Path.Combine(folder, "COCO_val2014_000000000007.jpg"), "Is it raining?", "no"), (read[1].ImageId, read[1].Image, read[1].Question, read[1].MultipleChoiceAnswer));
        Assert.Equal(Enumerable.Repeat("no", 10), read[1].Answers);
    }

    [Fact]
    public void AnAnswerTypeIsReadWhenTheAnnotationHasOneAndMustBeAString()
    {
        string folder = Images("val2014", "COCO_val2014_000000000042.jpg");
        object Typed(long id, object type) => new { question_id = id, image_id = 42, multiple_choice_answer = "2", answer_type = type, answers = Ten.Select(a => new { answer = a }) };
        var read = VqaDataset.Load(Questions(Question(1, 42, "How many?"), Question(2, 42, "What?")), Annotations(Typed(1, "number"), Annotation(2, 42, "2", Ten)), folder);
        Assert.Equal(["number", null], read.Select(q => q.AnswerType));
        var e = Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Typed(1, 3)), folder));
        Assert.Contains("annotations[0] lacks a string \"answer_type\"", e.Message);
    }

    [Fact]
    public void The2017NameIsUsedWhenThe2014OneDoesNotExist()
    {
        string folder = Images("val2017", "000000000042.jpg");
        var read = VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Annotation(1, 42, "2", Ten)), folder);
        Assert.Equal(Path.Combine(folder, "000000000042.jpg"), read[0].Image);
    }

    [Fact]
    public void The2014NameWinsWhenBothExist()
    {
        string folder = Images("both", "000000000042.jpg", "COCO_val2014_000000000042.jpg");
        var read = VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Annotation(1, 42, "2", Ten)), folder);
        Assert.Equal(Path.Combine(folder, "COCO_val2014_000000000042.jpg"), read[0].Image);
    }

    [Fact]
    public void WithoutDataSubtypeTheFolderNameGivesThe2014Prefix()
    {
        string folder = Images("train2014", "COCO_train2014_000000000042.jpg");
        string questions = Json("q.json", new { questions = new[] { Question(1, 42, "q") } });
        Assert.Equal(Path.Combine(folder, "COCO_train2014_000000000042.jpg"), VqaDataset.Load(questions, Annotations(Annotation(1, 42, "2", Ten)), folder)[0].Image);
    }

    [Fact]
    public void AnExplicitMapNamesTheFiles()
    {
        string folder = Images("photos", "kitchen.png");
        string map = Json("map.json", new Dictionary<string, string> { ["42"] = "kitchen.png" });
        var read = VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Annotation(1, 42, "2", Ten)), folder, map);
        Assert.Equal(Path.Combine(folder, "kitchen.png"), read[0].Image);

        string partial = Json("partial.json", new Dictionary<string, string> { ["5"] = "kitchen.png" });
        Assert.Equal($"{partial}: no file for image_id 42",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Annotation(1, 42, "2", Ten)), folder, partial)).Message);
    }

    [Fact]
    public void AMissingImageIsAnErrorNamingBothNames()
    {
        string folder = Images("val2014");
        var e = Assert.Throws<FileNotFoundException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Annotation(1, 42, "2", Ten)), folder));
        Assert.Contains("image_id 42 does not exist", e.Message);
        Assert.Contains("COCO_val2014_000000000042.jpg", e.Message);
        Assert.Contains("'" + Path.Combine(folder, "000000000042.jpg") + "'", e.Message);

        string map = Json("map.json", new Dictionary<string, string> { ["42"] = "gone.jpg" });
        e = Assert.Throws<FileNotFoundException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Annotation(1, 42, "2", Ten)), folder, map));
        Assert.Contains("gone.jpg' of image_id 42 does not exist", e.Message);
    }

    [Fact]
    public void AnAnnotationForAnUnknownQuestionIsRefused()
    {
        string folder = Images("val2014", "COCO_val2014_000000000042.jpg");
        string annotations = Annotations(Annotation(1, 42, "2", Ten), Annotation(9, 42, "2", Ten));
        Assert.Equal($"{annotations}: annotation for question_id 9 has no question in {_temp.File("questions.json")}",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), annotations, folder)).Message);
    }

    [Fact]
    public void AQuestionWithoutAnnotationIsRefused()
    {
        string folder = Images("val2014", "COCO_val2014_000000000042.jpg");
        string annotations = Annotations(Annotation(1, 42, "2", Ten));
        Assert.Equal($"{annotations}: no annotation for question_id 2 of {_temp.File("questions.json")}",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q"), Question(2, 42, "q")), annotations, folder)).Message);
    }

    [Fact]
    public void AnnotationAndQuestionMustAgreeOnTheImageAndIdsAreUnique()
    {
        string folder = Images("val2014", "COCO_val2014_000000000042.jpg");
        Assert.Contains("question_id 1 is about image_id 43, but",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Annotation(1, 43, "2", Ten)), folder)).Message);
        Assert.Contains("question_id 1 is annotated twice",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), Annotations(Annotation(1, 42, "2", Ten), Annotation(1, 42, "2", Ten)), folder)).Message);
        Assert.Contains("question_id 1 appears twice",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q"), Question(1, 42, "q")), Annotations(Annotation(1, 42, "2", Ten)), folder)).Message);
    }

    [Fact]
    public void NotJsonIsAFormatErrorNamingTheFile()
    {
        string folder = Images("val2014", "COCO_val2014_000000000042.jpg");
        string broken = _temp.File("broken.json");
        File.WriteAllText(broken, "questions: []");
        Assert.StartsWith($"{broken}: not valid JSON", Assert.Throws<SieveFormatException>(() => VqaDataset.Load(broken, Annotations(Annotation(1, 42, "2", Ten)), folder)).Message);
        Assert.StartsWith($"{broken}: not valid JSON", Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), broken, folder)).Message);
    }

    [Fact]
    public void MissingFieldsAreFormatErrorsNamingTheEntry()
    {
        string folder = Images("val2014", "COCO_val2014_000000000042.jpg");
        string questions = Json("no-text.json", new { questions = new[] { new { image_id = 42, question_id = 1 } } });
        Assert.Equal($"{questions}: questions[0] lacks a string \"question\"",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(questions, Annotations(Annotation(1, 42, "2", Ten)), folder)).Message);

        string annotations = Json("no-answer.json", new { annotations = new[] { new { question_id = 1, image_id = 42, multiple_choice_answer = "2", answers = new[] { new { answer_id = 1 } } } } });
        Assert.Equal($"{annotations}: annotations[0].answers[0] (question_id 1) lacks a string \"answer\"",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), annotations, folder)).Message);

        string stringId = Json("string-id.json", new { questions = new[] { new { image_id = "42", question = "q", question_id = 1 } } });
        Assert.Equal($"{stringId}: questions[0] lacks a numeric \"image_id\"",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(stringId, Annotations(Annotation(1, 42, "2", Ten)), folder)).Message);

        string noArray = Json("no-array.json", new { info = "x" });
        Assert.Equal($"{noArray}: not a VQA annotations file (no \"annotations\" array)",
            Assert.Throws<SieveFormatException>(() => VqaDataset.Load(Questions(Question(1, 42, "q")), noArray, folder)).Message);
    }
}

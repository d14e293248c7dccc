using System.Text.Json;

namespace Sieve.Data;

/// <summary>
/// VQAv2-format questions and answers: a questions JSON (<c>questions[]</c>: image_id, question, question_id)
/// and an annotations JSON (<c>annotations[]</c>: question_id, image_id, answers[]{answer},
/// multiple_choice_answer, optional answer_type), paired by question id — each question must have exactly one annotation, for the
/// same image, and each annotation a question. Questions come in the questions file's order.
/// </summary>
public static class VqaDataset
{
    /// <summary>
    /// The questions of <paramref name="questions"/> with the answers of <paramref name="annotations"/>. Image
    /// files are <paramref name="imageMap"/>'s entry for the id (a JSON object {"image id": "file"}, files
    /// relative to <paramref name="imageFolder"/>) when a map is given; else COCO's names in
    /// <paramref name="imageFolder"/>, whichever exists: the 2014 form <c>COCO_&lt;subtype&gt;_&lt;id:12 digits&gt;.jpg</c>
    /// (subtype from the questions file's <c>data_subtype</c>, else the folder's name, e.g. val2014), then the
    /// 2017 form <c>&lt;id:12 digits&gt;.jpg</c>. An image that exists under neither is an error naming both.
    /// </summary>
    public static IReadOnlyList<VqaQuestion> Load(string questions, string annotations, string imageFolder, string? imageMap = null)
    {
        if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"image folder '{imageFolder}' does not exist");
        using var questionsDoc = Parse(questions);
        using var annotationsDoc = Parse(annotations);
        var answers = Annotations(annotations, Array(annotations, annotationsDoc.RootElement, "annotations"));
        var files = imageMap == null ? null : ImageMap(imageMap, imageFolder);
        string subtype = questionsDoc.RootElement.TryGetProperty("data_subtype", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString()! : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(imageFolder)));
        var read = new List<VqaQuestion>();
        var seen = new HashSet<long>();
        int index = 0;
        foreach (var q in Array(questions, questionsDoc.RootElement, "questions").EnumerateArray())
        {
            long questionId = Id(questions, q, "questions", index, "question_id");
            long imageId = Id(questions, q, "questions", index, "image_id");
            string text = Text(questions, q, "questions", index, "question");
            if (!seen.Add(questionId)) throw new SieveFormatException($"{questions}: question_id {questionId} appears twice");
            if (!answers.Remove(questionId, out var annotation))
                throw new SieveFormatException($"{annotations}: no annotation for question_id {questionId} of {questions}");
            if (annotation.ImageId != imageId)
                throw new SieveFormatException($"{annotations}: question_id {questionId} is about image_id {annotation.ImageId}, but {questions} says {imageId}");
            string image = files == null ? CocoImage(imageFolder, subtype, imageId)
                : files.TryGetValue(imageId, out var mapped) ? mapped
                : throw new SieveFormatException($"{imageMap}: no file for image_id {imageId}");
            if (!File.Exists(image)) throw new FileNotFoundException($"{questions}: image '{image}' of image_id {imageId} does not exist", image);
            read.Add(new VqaQuestion(questionId, imageId, image, text, annotation.Answers, annotation.MultipleChoice, annotation.AnswerType));
            index++;
        }
        if (answers.Count > 0)
            throw new SieveFormatException($"{annotations}: annotation for question_id {answers.Keys.Min()} has no question in {questions}");
        if (read.Count == 0) throw new SieveFormatException($"{questions}: no questions");
        return read;
    }

    static Dictionary<long, (long ImageId, string[] Answers, string MultipleChoice, string? AnswerType)> Annotations(string file, JsonElement annotations)
    {
        var byQuestion = new Dictionary<long, (long, string[], string, string?)>();
        int index = 0;
        foreach (var a in annotations.EnumerateArray())
        {
            long questionId = Id(file, a, "annotations", index, "question_id");
            long imageId = Id(file, a, "annotations", index, "image_id");
            string multipleChoice = Text(file, a, "annotations", index, "multiple_choice_answer");
            string? answerType = a.TryGetProperty("answer_type", out _) ? Text(file, a, "annotations", index, "answer_type") : null;
            if (!a.TryGetProperty("answers", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
                throw new SieveFormatException($"{file}: annotations[{index}] (question_id {questionId}) lacks a non-empty \"answers\" array");
            var answers = list.EnumerateArray().Select((x, k) => Text(file, x, $"annotations[{index}].answers", k, "answer", questionId)).ToArray();
            if (!byQuestion.TryAdd(questionId, (imageId, answers, multipleChoice, answerType)))
                throw new SieveFormatException($"{file}: question_id {questionId} is annotated twice");
            index++;
        }
        return byQuestion;
    }

    /// <summary>The 2014 name if that file exists, else the 2017 name if it does; else an error naming both.</summary>
    static string CocoImage(string folder, string subtype, long imageId)
    {
        string coco2014 = Path.Combine(folder, $"COCO_{subtype}_{imageId:D12}.jpg");
        if (File.Exists(coco2014)) return coco2014;
        string coco2017 = Path.Combine(folder, $"{imageId:D12}.jpg");
        if (File.Exists(coco2017)) return coco2017;
        throw new FileNotFoundException($"image of image_id {imageId} does not exist: neither '{coco2014}' nor '{coco2017}'", coco2017);
    }

    static Dictionary<long, string> ImageMap(string map, string folder)
    {
        using var doc = Parse(map);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new SieveFormatException($"{map}: an image map is a JSON object {{\"image id\": \"file\"}}");
        var files = new Dictionary<long, string>();
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (!long.TryParse(entry.Name, out long id) || entry.Value.ValueKind != JsonValueKind.String)
                throw new SieveFormatException($"{map}: entry \"{entry.Name}\" is not a numeric image id with a file name");
            files[id] = Path.Combine(folder, entry.Value.GetString()!);
        }
        return files;
    }

    static JsonElement Array(string file, JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array
            : throw new SieveFormatException($"{file}: not a VQA {name} file (no \"{name}\" array)");

    static long Id(string file, JsonElement entry, string array, int index, string field) =>
        entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty(field, out var value)
        && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long id) ? id
            : throw new SieveFormatException($"{file}: {array}[{index}] lacks a numeric \"{field}\"");

    static string Text(string file, JsonElement entry, string array, int index, string field, long? questionId = null) =>
        entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()!
            : throw new SieveFormatException($"{file}: {array}[{index}]{(questionId is { } q ? $" (question_id {q})" : "")} lacks a string \"{field}\"");

    static JsonDocument Parse(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"VQA file '{file}' does not exist", file);
        try { return JsonDocument.Parse(File.ReadAllBytes(file)); }
        catch (JsonException e) { throw new SieveFormatException($"{file}: not valid JSON ({e.Message})"); }
    }
}

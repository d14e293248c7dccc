namespace Sieve.Data;

/// <summary>One VQA question with its image file and the human answers it is scored against.</summary>
/// <param name="QuestionId">The question's id in the questions and annotations files.</param>
/// <param name="ImageId">The COCO image id.</param>
/// <param name="Image">The image file (exists when read).</param>
/// <param name="Question">The question text.</param>
/// <param name="Answers">The human answers (ten in VQAv2), raw, in file order.</param>
/// <param name="MultipleChoiceAnswer">The annotation's most frequent answer.</param>
/// <param name="AnswerType">The annotation's <c>answer_type</c> (VQAv2: yes/no, number, other), or null when it has none.</param>
public sealed record VqaQuestion(long QuestionId, long ImageId, string Image, string Question, IReadOnlyList<string> Answers, string MultipleChoiceAnswer,
    string? AnswerType = null);

using System.Text;
using System.Text.RegularExpressions;

namespace Sieve.Eval;

/// <summary>
/// The VQA accuracy of the official evaluation (visualqa.org, "Evaluation"): an answer is right in full when
/// at least three humans gave it, and the score is averaged over the ten leave-one-out sets of nine annotators,
/// so one matching human gives 0.3, two 0.6, three 0.9, four or more 1. Answers are compared after
/// <see cref="Normalize"/>.
/// </summary>
/// <remarks>
/// Both the predicted and the human answers are always normalised, as the rules state. The official script
/// skips normalisation when all humans gave the same string (and then normalises the humans' answers for
/// punctuation only); the released VQAv2 answers are already normalised, so the two agree on them and differ
/// only for a prediction such as "Yes." against ten "yes", which the rules count as right and the script not.
/// </remarks>
internal static class VqaAccuracy
{
    /// <summary>
    /// The accuracy of <paramref name="predicted"/> against the human answers: the mean over each annotator
    /// left out of min(1, matches among the others / 3). Ten answers in VQAv2; any non-empty count works the same.
    /// </summary>
    public static double Score(string predicted, IReadOnlyList<string> humans)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        if (humans.Count == 0) throw new ArgumentException("a question needs at least one human answer", nameof(humans));
        string answer = Normalize(predicted);
        // Leaving out a matching annotator leaves matches − 1 among the others; leaving out any other leaves all.
        int matches = humans.Count(h => Normalize(h) == answer);
        double sum = matches * Credit(matches - 1) + (humans.Count - matches) * Credit(matches);
        return sum / humans.Count;
    }

    static double Credit(int matches) => Math.Min(1.0, matches / 3.0);

    /// <summary>
    /// An answer as the rules compare it: newlines and tabs as spaces; punctuation other than the apostrophe,
    /// colon and period removed where it touches a space or where the answer holds a digit-comma-digit
    /// ("100,978" → "100978"), else replaced by a space ("black-and-white" → "black and white"); a period
    /// removed unless a digit follows it ("2.5" kept, "yes." → "yes"); lower case; number words zero to ten
    /// (and "none") as digits; the articles a, an, the dropped; a contraction missing its apostrophe restored
    /// ("dont" → "don't"); words joined by single spaces.
    /// </summary>
    public static string Normalize(string answer)
    {
        string text = answer.Replace('\n', ' ').Replace('\t', ' ').Trim();
        text = Punctuation(text);
        var words = new List<string>();
        foreach (string raw in text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string word = NumberWords.GetValueOrDefault(raw, raw);
            if (word is "a" or "an" or "the") continue;
            words.Add(Contractions.GetValueOrDefault(word, word));
        }
        return string.Join(' ', words);
    }

    /// <summary>Each mark is removed or spaced over the whole answer, decided once per mark, as the rules' script does.</summary>
    static string Punctuation(string text)
    {
        bool numberComma = DigitCommaDigit.IsMatch(text);
        var result = new StringBuilder(text);
        foreach (char mark in Marks)
        {
            bool remove = numberComma || text.Contains($"{mark} ") || text.Contains($" {mark}");
            result.Replace(mark.ToString(), remove ? "" : " ");
        }
        return PeriodNotBeforeDigit.Replace(result.ToString(), "");
    }

    /// <summary>The marks the rules treat as punctuation: all but the apostrophe, the colon and the period (handled apart).</summary>
    const string Marks = ";/[]\"{}()=+\\_-><@`,?!";

    static readonly Regex DigitCommaDigit = new(@"\d,\d", RegexOptions.CultureInvariant);
    static readonly Regex PeriodNotBeforeDigit = new(@"\.(?!\d)", RegexOptions.CultureInvariant);

    static readonly Dictionary<string, string> NumberWords = new()
    {
        ["none"] = "0", ["zero"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4",
        ["five"] = "5", ["six"] = "6", ["seven"] = "7", ["eight"] = "8", ["nine"] = "9", ["ten"] = "10",
    };

    /// <summary>
    /// The official list of contractions written without (or with a misplaced) apostrophe, with straight
    /// apostrophes throughout; keys with capitals ("Im", "Ive") can never match a lower-cased word, as in the
    /// official script, and are left out.
    /// </summary>
    static readonly Dictionary<string, string> Contractions = new()
    {
        ["aint"] = "ain't", ["arent"] = "aren't", ["cant"] = "can't", ["couldve"] = "could've",
        ["couldnt"] = "couldn't", ["couldn'tve"] = "couldn't've", ["couldnt've"] = "couldn't've",
        ["didnt"] = "didn't", ["doesnt"] = "doesn't", ["dont"] = "don't", ["hadnt"] = "hadn't",
        ["hadnt've"] = "hadn't've", ["hadn'tve"] = "hadn't've", ["hasnt"] = "hasn't", ["havent"] = "haven't",
        ["hed"] = "he'd", ["hed've"] = "he'd've", ["he'dve"] = "he'd've", ["hes"] = "he's", ["howd"] = "how'd",
        ["howll"] = "how'll", ["hows"] = "how's", ["isnt"] = "isn't", ["itd"] = "it'd", ["itd've"] = "it'd've",
        ["it'dve"] = "it'd've", ["itll"] = "it'll", ["maam"] = "ma'am", ["mightnt"] = "mightn't",
        ["mightnt've"] = "mightn't've", ["mightn'tve"] = "mightn't've", ["mightve"] = "might've",
        ["mustnt"] = "mustn't", ["mustve"] = "must've", ["neednt"] = "needn't", ["notve"] = "not've",
        ["oclock"] = "o'clock", ["oughtnt"] = "oughtn't", ["ow's'at"] = "'ow's'at", ["'ows'at"] = "'ow's'at",
        ["'ow'sat"] = "'ow's'at", ["shant"] = "shan't", ["shed've"] = "she'd've", ["she'dve"] = "she'd've",
        ["shouldve"] = "should've", ["shouldnt"] = "shouldn't", ["shouldnt've"] = "shouldn't've",
        ["shouldn'tve"] = "shouldn't've", ["somebody'd"] = "somebodyd", ["somebodyd've"] = "somebody'd've",
        ["somebody'dve"] = "somebody'd've", ["somebodyll"] = "somebody'll", ["somebodys"] = "somebody's",
        ["someoned"] = "someone'd", ["someoned've"] = "someone'd've", ["someone'dve"] = "someone'd've",
        ["someonell"] = "someone'll", ["someones"] = "someone's", ["somethingd"] = "something'd",
        ["somethingd've"] = "something'd've", ["something'dve"] = "something'd've", ["somethingll"] = "something'll",
        ["thats"] = "that's", ["thered"] = "there'd", ["thered've"] = "there'd've", ["there'dve"] = "there'd've",
        ["therere"] = "there're", ["theres"] = "there's", ["theyd"] = "they'd", ["theyd've"] = "they'd've",
        ["they'dve"] = "they'd've", ["theyll"] = "they'll", ["theyre"] = "they're", ["theyve"] = "they've",
        ["twas"] = "'twas", ["wasnt"] = "wasn't", ["wed've"] = "we'd've", ["we'dve"] = "we'd've",
        ["weve"] = "we've", ["werent"] = "weren't", ["whatll"] = "what'll", ["whatre"] = "what're",
        ["whats"] = "what's", ["whatve"] = "what've", ["whens"] = "when's", ["whered"] = "where'd",
        ["wheres"] = "where's", ["whereve"] = "where've", ["whod"] = "who'd", ["whod've"] = "who'd've",
        ["who'dve"] = "who'd've", ["wholl"] = "who'll", ["whos"] = "who's", ["whove"] = "who've",
        ["whyll"] = "why'll", ["whyre"] = "why're", ["whys"] = "why's", ["wont"] = "won't",
        ["wouldve"] = "would've", ["wouldnt"] = "wouldn't", ["wouldnt've"] = "wouldn't've",
        ["wouldn'tve"] = "wouldn't've", ["yall"] = "y'all", ["yall'll"] = "y'all'll", ["y'allll"] = "y'all'll",
        ["yall'd've"] = "y'all'd've", ["y'alld've"] = "y'all'd've", ["y'all'dve"] = "y'all'd've",
        ["youd"] = "you'd", ["youd've"] = "you'd've", ["you'dve"] = "you'd've", ["youll"] = "you'll",
        ["youre"] = "you're", ["youve"] = "you've",
    };
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Sieve.Eval;

/// <summary>
/// What <c>sieve tune</c> may spend: <c>agreement&gt;=0.97</c> (share of items whose answer equals dense's),
/// <c>drop&lt;=1.0</c> (percentage points of the headline labelled score below dense; needs labels) or
/// <c>cosine&gt;=0.98</c> (mean cosine of each item's embedding to dense's; embedding tasks).
/// </summary>
public sealed partial record TuneBudget
{
    /// <summary>The accepted forms, as error messages list them.</summary>
    public const string Forms = "agreement>=F (F in [0, 1]), drop<=P (points of the labelled score below dense, ≥ 0) or cosine>=C (C in [-1, 1])";

    TuneBudget(TuneMetric metric, double limit) => (Metric, Limit) = (metric, limit);

    /// <summary>The quantity the budget bounds.</summary>
    public TuneMetric Metric { get; }

    /// <summary>The bound: a lowest agreement or cosine, or a largest drop in points.</summary>
    public double Limit { get; }

    /// <summary>Whether a larger value of <see cref="Metric"/> is better (agreement, cosine) or worse (drop).</summary>
    public bool HigherIsBetter => Metric != TuneMetric.Drop;

    /// <summary>Parses <c>agreement&gt;=0.97</c>, <c>drop&lt;=1.0</c> or <c>cosine&gt;=0.98</c> (spaces allowed around the parts).</summary>
    /// <exception cref="ArgumentException">One line naming what did not parse and the accepted forms.</exception>
    public static TuneBudget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = Pattern().Match(text);
        if (!m.Success) throw new ArgumentException($"budget '{Shown(text)}' does not parse: expected {Forms}");
        string name = m.Groups["name"].Value.ToLowerInvariant(), op = m.Groups["op"].Value, number = m.Groups["value"].Value;
        var metric = name switch { "agreement" => TuneMetric.Agreement, "drop" => TuneMetric.Drop, "cosine" => TuneMetric.Cosine, _ => (TuneMetric?)null }
            ?? throw new ArgumentException($"budget '{Shown(text)}': unknown quantity '{Shown(name)}'; expected {Forms}");
        string expectedOp = metric == TuneMetric.Drop ? "<=" : ">=";
        if (op != expectedOp) throw new ArgumentException($"budget '{Shown(text)}': {name} is bounded with {expectedOp}, not {op}; expected {Forms}");
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double limit) || !double.IsFinite(limit))
            throw new ArgumentException($"budget '{Shown(text)}': '{Shown(number)}' is not a number; expected {Forms}");
        bool inRange = metric switch
        {
            TuneMetric.Agreement => limit is >= 0 and <= 1,
            TuneMetric.Drop => limit >= 0,
            _ => limit is >= -1 and <= 1,
        };
        if (!inRange) throw new ArgumentException($"budget '{Shown(text)}': {name} {limit.ToString(CultureInfo.InvariantCulture)} is out of range; expected {Forms}");
        return new TuneBudget(metric, limit);
    }

    /// <summary>
    /// Refuses a budget the task cannot measure: <c>drop</c> where the results have no labelled score,
    /// <c>cosine</c> where they compare answers rather than embeddings.
    /// </summary>
    /// <param name="dense">The task's dense result.</param>
    /// <param name="task">The task's name, for the message.</param>
    public void CheckApplies(ITaskResult dense, string task) => CheckApplies(dense.Score != null, dense.Cosine != null, task);

    /// <summary>The check of <see cref="CheckApplies(ITaskResult, string)"/> before any result exists (a front end that knows the task's kind).</summary>
    /// <param name="labelled">Whether the task reports a labelled score.</param>
    /// <param name="embeddings">Whether it reports a cosine to dense.</param>
    /// <param name="task">The task's name, for the message.</param>
    public void CheckApplies(bool labelled, bool embeddings, string task)
    {
        if (Metric == TuneMetric.Drop && !labelled)
            throw new ArgumentException($"budget '{this}' needs labels, but --task {task} reports no labelled score; use agreement>=F" + (embeddings ? " or cosine>=C" : ""));
        if (Metric == TuneMetric.Cosine && !embeddings)
            throw new ArgumentException($"budget '{this}' needs embeddings, but --task {task} compares answers; use agreement>=F" + (labelled ? " or drop<=P" : ""));
    }

    /// <summary>The bounded quantity of <paramref name="row"/>: its agreement, its mean cosine, or dense's score minus its score.</summary>
    public double Value(ITaskResult row, ITaskResult dense) => Metric switch
    {
        TuneMetric.Agreement => row.Agreement,
        TuneMetric.Cosine => row.Cosine ?? throw new ArgumentException($"'{row.Reducer}' has no cosine to dense"),
        _ => (dense.Score ?? throw new ArgumentException("dense has no labelled score")) - (row.Score ?? throw new ArgumentException($"'{row.Reducer}' has no labelled score")),
    };

    /// <summary>Whether <paramref name="value"/> (of <see cref="Value"/>) is inside the budget.</summary>
    public bool Meets(double value) => HigherIsBetter ? value >= Limit : value <= Limit;

    /// <summary>Whether <paramref name="a"/> is better than <paramref name="b"/> (both values of <see cref="Value"/>).</summary>
    public bool Better(double a, double b) => HigherIsBetter ? a > b : a < b;

    /// <summary>The canonical text form (parses back to an equal budget).</summary>
    public override string ToString() => Metric switch
    {
        TuneMetric.Agreement => "agreement>=",
        TuneMetric.Cosine => "cosine>=",
        _ => "drop<=",
    } + Limit.ToString("R", CultureInfo.InvariantCulture);

    static string Shown(string text) => text.Length <= 60 ? text : $"{text[..48]}… ({text.Length:N0} characters)";

    [GeneratedRegex(@"^\s*(?<name>[A-Za-z]+)\s*(?<op>>=|<=|=>|=<|>|<|=)\s*(?<value>[^<>=\s]\S*)\s*$")]
    private static partial Regex Pattern();
}

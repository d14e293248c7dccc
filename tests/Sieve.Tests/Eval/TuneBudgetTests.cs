using Sieve.Eval;

namespace Sieve.Tests.Eval;

/// <summary>Budget strings: the three forms, their bounds, the errors, and which tasks each applies to.</summary>
public sealed class TuneBudgetTests
{
    sealed record Row(double Agreement, double? Score, double? Cosine) : ITaskResult
    {
        public string Reducer => "r";
        public int Items => 1;
        public IReadOnlyList<TaskMetric> Metrics => [];
        public double GMacs => 1;
        public double? ItemsPerSecond => null;
        public double? SpeedUp => null;
        ITaskResult ITaskResult.WithSpeed(double itemsPerSecond, double speedUp) => this;
    }

    [Theory]
    [InlineData("agreement>=0.97", TuneMetric.Agreement, 0.97)]
    [InlineData("  Agreement >= 1 ", TuneMetric.Agreement, 1.0)]
    [InlineData("drop<=1.0", TuneMetric.Drop, 1.0)]
    [InlineData("drop <= 0", TuneMetric.Drop, 0.0)]
    [InlineData("cosine>=0.98", TuneMetric.Cosine, 0.98)]
    [InlineData("cosine>=-0.5", TuneMetric.Cosine, -0.5)]
    public void TheThreeFormsParseAndPrintBack(string text, TuneMetric metric, double limit)
    {
        var budget = TuneBudget.Parse(text);
        Assert.Equal(metric, budget.Metric);
        Assert.Equal(limit, budget.Limit);
        Assert.Equal(budget, TuneBudget.Parse(budget.ToString()));
    }

    [Theory]
    [InlineData("", "does not parse")]
    [InlineData("agreement", "does not parse")]
    [InlineData("agreement>=", "does not parse")]
    [InlineData("accuracy>=0.9", "unknown quantity 'accuracy'")]
    [InlineData("agreement<=0.97", "agreement is bounded with >=, not <=")]
    [InlineData("drop>=1", "drop is bounded with <=, not >=")]
    [InlineData("agreement>0.97", "agreement is bounded with >=, not >")]
    [InlineData("agreement>=97%", "'97%' is not a number")]
    [InlineData("agreement>=abc", "'abc' is not a number")]
    [InlineData("agreement>=97", "agreement 97 is out of range")]
    [InlineData("drop<=-1", "drop -1 is out of range")]
    [InlineData("cosine>=1.5", "cosine 1.5 is out of range")]
    [InlineData("agreement>=NaN", "'NaN' is not a number")]
    public void BadBudgetsAreOneLineNamingThePartAndTheForms(string text, string part)
    {
        var e = Assert.Throws<ArgumentException>(() => TuneBudget.Parse(text));
        Assert.Contains(part, e.Message);
        Assert.Contains("agreement>=F", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ValuesAndMeetingFollowEachQuantitysDirection()
    {
        var dense = new Row(1, 80, 1);
        var row = new Row(0.96, 79.2, 0.981);
        var agreement = TuneBudget.Parse("agreement>=0.97");
        Assert.Equal(0.96, agreement.Value(row, dense));
        Assert.False(agreement.Meets(0.96));
        Assert.True(agreement.Meets(0.97));
        var drop = TuneBudget.Parse("drop<=1");
        Assert.Equal(0.8, drop.Value(row, dense), 12);
        Assert.True(drop.Meets(0.8));
        Assert.False(drop.Meets(1.01));
        Assert.True(drop.Better(0.5, 0.8));
        var cosine = TuneBudget.Parse("cosine>=0.98");
        Assert.True(cosine.Meets(cosine.Value(row, dense)));
        Assert.True(cosine.Better(0.99, 0.98));
    }

    [Fact]
    public void DropNeedsALabelledScoreAndCosineNeedsEmbeddings()
    {
        var unlabelled = new Row(1, null, 1);
        var answers = new Row(1, 80, null);
        var e = Assert.Throws<ArgumentException>(() => TuneBudget.Parse("drop<=1").CheckApplies(unlabelled, "embedding"));
        Assert.Contains("needs labels, but --task embedding reports no labelled score", e.Message);
        Assert.Contains("cosine>=C", e.Message);
        e = Assert.Throws<ArgumentException>(() => TuneBudget.Parse("cosine>=0.9").CheckApplies(answers, "classify"));
        Assert.Contains("--task classify compares answers", e.Message);
        TuneBudget.Parse("drop<=1").CheckApplies(answers, "classify");
        TuneBudget.Parse("cosine>=0.9").CheckApplies(unlabelled, "embedding");
        TuneBudget.Parse("agreement>=0.9").CheckApplies(unlabelled, "embedding");
    }
}

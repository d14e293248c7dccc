namespace Sieve.Eval;

/// <summary>Shows a benchmark's progress as it runs (a console display); called on the benchmark's thread.</summary>
internal interface IBenchProgress
{
    /// <summary>Runs <paramref name="work"/>, a step of unknown length, shown as <paramref name="label"/>.</summary>
    void Step(string label, Action work);

    /// <summary>Starts a step of <paramref name="total"/> parts, shown as <paramref name="label"/>; the returned action counts one part done.</summary>
    Action Counter(string label, int total);
}

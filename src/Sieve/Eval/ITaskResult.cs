namespace Sieve.Eval;

/// <summary>
/// One reducer's result on an evaluation task, in the columns every task shares: the task's own metrics, agreement
/// with the dense model, multiply-adds as executed per item, and measured speed. <c>sweep</c> and <c>tune</c> read
/// results only through this view, so every task can be swept and tuned.
/// </summary>
public interface ITaskResult
{
    /// <summary>The reducer spec as run, per tower.</summary>
    string Reducer { get; }

    /// <summary>Items evaluated (images, or questions).</summary>
    int Items { get; }

    /// <summary>The task's metrics, the headline (<see cref="Score"/> or the mean cosine) first.</summary>
    IReadOnlyList<TaskMetric> Metrics { get; }

    /// <summary>The headline metric against labels in percentage points (top-1, RSum, VQA accuracy); null when the task has no labels.</summary>
    double? Score { get; }

    /// <summary>Share of items (queries) whose top answer equals the dense model's, in [0, 1].</summary>
    double Agreement { get; }

    /// <summary>Mean cosine of each item's embedding to the dense model's; null for tasks that compare answers, not embeddings.</summary>
    double? Cosine { get; }

    /// <summary>Mean multiply-adds per item as executed, in billions, every tower an item goes through included.</summary>
    double GMacs { get; }

    /// <summary>Measured items per second; null when not timed.</summary>
    double? ItemsPerSecond { get; }

    /// <summary>Dense's median time ÷ this reducer's, from the same interleaved rounds; null when not timed.</summary>
    double? SpeedUp { get; }

    /// <summary>This result with its measured speed.</summary>
    internal ITaskResult WithSpeed(double itemsPerSecond, double speedUp);
}

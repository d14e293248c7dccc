namespace Sieve.Eval;

/// <summary>One number a task reports for a reducer (top-1, R@5, mean cosine, …), as it is printed.</summary>
/// <param name="Key">Its JSON name, camelCase (<c>top1</c>, <c>i2tR1</c>).</param>
/// <param name="Name">Its column name (<c>top-1</c>, <c>i→t R@1</c>).</param>
/// <param name="Value">The value: percentage points (0–100, RSum 0–600) for shares and recalls, a cosine as it is.</param>
/// <param name="Decimals">Decimals printed: 1 for percentage points, 4 for cosines.</param>
public sealed record TaskMetric(string Key, string Name, double Value, int Decimals);

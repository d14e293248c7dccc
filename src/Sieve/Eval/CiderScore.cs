namespace Sieve.Eval;

/// <summary>Corpus CIDEr-D: the mean of the per-image scores.</summary>
/// <param name="CiderD">The mean of <paramref name="PerImage"/>.</param>
/// <param name="PerImage">Each candidate's CIDEr-D against its own references, in input order.</param>
public sealed record CiderScore(double CiderD, IReadOnlyList<double> PerImage);

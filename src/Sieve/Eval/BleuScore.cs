namespace Sieve.Eval;

/// <summary>Corpus BLEU-4 with what it is made of.</summary>
/// <param name="Bleu4">BP · exp(¼ Σₙ log pₙ), n = 1..4; 0 when any pₙ is 0.</param>
/// <param name="Precisions">The clipped n-gram precisions p₁..p₄ over the corpus (0 where the candidates have no n-gram of that order).</param>
/// <param name="BrevityPenalty">1 when the candidates are longer than the references (c &gt; r), else exp(1 − r / c).</param>
/// <param name="CandidateLength">c: tokens in all candidates.</param>
/// <param name="ReferenceLength">r: for each candidate, the reference length closest to its own (the shorter on a tie), summed.</param>
public sealed record BleuScore(double Bleu4, IReadOnlyList<double> Precisions, double BrevityPenalty, int CandidateLength, int ReferenceLength);

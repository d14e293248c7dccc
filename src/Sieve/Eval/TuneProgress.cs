namespace Sieve.Eval;

/// <summary>Where a tuning run stands, as its progress callback receives it.</summary>
/// <param name="Stage"><c>search</c> (candidates on the calibration split), <c>timing</c> (the shortlist against dense) or <c>held-out</c>.</param>
/// <param name="Step">Steps done in the current pass (forwards, or timing rounds).</param>
/// <param name="Steps">Steps of the current pass.</param>
/// <param name="Candidate">Candidates evaluated so far (this pass's included).</param>
/// <param name="Candidates">Most candidates the search can evaluate (every family bisected to its end).</param>
/// <param name="Best">The cheapest spec inside the budget so far (by executed GMACs), or null.</param>
public sealed record TuneProgress(string Stage, int Step, int Steps, int Candidate, int Candidates, string? Best);

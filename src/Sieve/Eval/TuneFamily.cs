using Sieve.Reduction;

namespace Sieve.Eval;

/// <summary>
/// One line of tuning's search space: a method and a schedule shape at rising strength, each level cheaper than
/// the one before it (more tokens merged or pruned). The tuner bisects a family for its strongest level inside the budget.
/// </summary>
/// <param name="Method">The method's name (<c>tome</c>, <c>crossget</c>, <c>madtp</c>, <c>pumer</c>).</param>
/// <param name="Shape">The schedule's shape (<c>constant</c>, <c>ramp up</c>, <c>front-loaded</c>, <c>temperature</c>, …).</param>
/// <param name="Levels">The specs, weakest first.</param>
/// <param name="FixedTokens">
/// Whether every input of the tower keeps the same token counts under these specs (merge schedules, PuMer), so one
/// traced forward of an example predicts the executed multiply-adds; false for MADTP, whose pruning depends on the input.
/// </param>
public sealed record TuneFamily(string Method, string Shape, IReadOnlyList<ModelReduction> Levels, bool FixedTokens)
{
    /// <summary>Whether the family's specs are the same r in every block (the single-method baseline a tuned schedule must beat).</summary>
    public bool IsConstant => Shape == TuneSpace.Constant;
}

namespace Sieve.Fitting;

/// <summary>
/// What <see cref="GuidanceTrainer"/> minimises: a loss over samples as a function of a flat parameter
/// vector, with its exact gradient, and the guidance tensors those parameters become.
/// </summary>
internal interface IFitObjective
{
    /// <summary>The method the guidance is for (<c>crossget</c> or <c>madtp</c>).</summary>
    string Method { get; }

    /// <summary>Number of samples the loss can be taken over.</summary>
    int Samples { get; }

    /// <summary>Where fitting starts.</summary>
    double[] InitialParameters();

    /// <summary>
    /// The mean loss over <paramref name="samples"/> at <paramref name="parameters"/>; when
    /// <paramref name="gradient"/> is not null it receives the mean gradient. Results must not depend on
    /// the thread count.
    /// </summary>
    double Loss(IReadOnlyList<int> samples, double[] parameters, double[]? gradient);

    /// <summary>The guidance tensors (ReductionGuidance names) for <paramref name="parameters"/>.</summary>
    IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Guidance(double[] parameters);
}

namespace Sieve.Fitting;

/// <summary>Hyper-parameters of a guidance fit; validated on construction.</summary>
internal sealed record FitOptions
{
    /// <param name="epochs">Passes over the training split (≥ 1).</param>
    /// <param name="learningRate">Peak AdamW step size (&gt; 0), decayed by a cosine schedule.</param>
    /// <param name="weightDecay">AdamW's decoupled weight decay (≥ 0).</param>
    /// <param name="batchSize">Samples per optimiser step (≥ 1).</param>
    /// <param name="holdOut">Fraction of samples kept out of training for early stopping, in [0, 0.5].</param>
    /// <param name="patience">Epochs without a better held-out loss before stopping (≥ 1).</param>
    /// <param name="seed">Seed of the split, the shuffles and any random initialisation.</param>
    public FitOptions(int epochs = 5, double learningRate = 0.01, double weightDecay = 0.01, int batchSize = 32, double holdOut = 0.1, int patience = 2, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        if (!(learningRate > 0) || !double.IsFinite(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be a finite number > 0");
        if (!(weightDecay >= 0) || !double.IsFinite(weightDecay)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be a finite number ≥ 0");
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!(holdOut is >= 0 and <= 0.5)) throw new ArgumentOutOfRangeException(nameof(holdOut), holdOut, "held-out fraction must be in [0, 0.5]");
        ArgumentOutOfRangeException.ThrowIfLessThan(patience, 1);
        Epochs = epochs;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        BatchSize = batchSize;
        HoldOut = holdOut;
        Patience = patience;
        Seed = seed;
    }

    /// <summary>Passes over the training split.</summary>
    public int Epochs { get; }

    /// <summary>Peak step size.</summary>
    public double LearningRate { get; }

    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; }

    /// <summary>Held-out fraction.</summary>
    public double HoldOut { get; }

    /// <summary>Early-stopping patience in epochs.</summary>
    public int Patience { get; }

    /// <summary>Seed of everything random in the fit.</summary>
    public int Seed { get; }
}

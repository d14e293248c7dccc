namespace Sieve.Fitting;

/// <summary>Where a fit stands: reported after every optimiser step and after every held-out evaluation.</summary>
/// <param name="Epoch">Current epoch, 1-based (0: before training).</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="StepsPerEpoch">Steps in one epoch.</param>
/// <param name="RunningLoss">Mean training loss of this epoch so far (NaN before the first step).</param>
/// <param name="HeldOutLoss">The held-out loss, when this report follows its evaluation.</param>
internal sealed record FitProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double RunningLoss, double? HeldOutLoss);

/// <summary>The outcome of a fit.</summary>
/// <param name="Parameters">The best parameters (lowest held-out loss; lowest training loss without a held-out split).</param>
/// <param name="BestEpoch">Epoch they come from (0: the starting point was never beaten).</param>
/// <param name="InitialLoss">Held-out (or training) loss before fitting.</param>
/// <param name="BestLoss">Held-out (or training) loss of <see cref="Parameters"/>.</param>
/// <param name="EpochsRun">Epochs run before finishing or stopping early.</param>
/// <param name="TrainSamples">Samples trained on.</param>
/// <param name="HeldOutSamples">Samples held out for early stopping.</param>
internal sealed record FitResult(double[] Parameters, int BestEpoch, double InitialLoss, double BestLoss, int EpochsRun, int TrainSamples, int HeldOutSamples);

/// <summary>
/// The fitting loop: a seeded split into training and held-out samples, seeded shuffles, mini-batch
/// AdamW under a cosine schedule, the held-out loss after every epoch, early stopping after
/// <see cref="FitOptions.Patience"/> epochs without improvement, and a checkpoint callback for every new
/// best. The same seed gives the same parameters, bit for bit, whatever the thread count.
/// </summary>
internal static class GuidanceTrainer
{
    /// <summary>Fits <paramref name="objective"/>.</summary>
    /// <param name="objective">The loss and its parameters.</param>
    /// <param name="options">Hyper-parameters.</param>
    /// <param name="progress">Null, or called after every step (from the calling thread).</param>
    /// <param name="checkpoint">Null, or called with every new best (the starting point included) and its epoch.</param>
    /// <exception cref="ArgumentException">The loss is not a finite number, before fitting (the samples or the model give
    /// non-finite values) or during it (the fit diverged, as a learning rate far too large makes it).</exception>
    public static FitResult Fit(IFitObjective objective, FitOptions options, Action<FitProgress>? progress = null, Action<double[], int, double>? checkpoint = null)
    {
        int n = objective.Samples;
        if (n < 1) throw new ArgumentException("no samples to fit on", nameof(objective));
        var rng = new Random(options.Seed);
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order);
        int heldCount = n < 2 || options.HoldOut == 0 ? 0 : Math.Clamp((int)Math.Round(n * options.HoldOut), 1, n - 1);
        var held = order[..heldCount];
        var train = order[heldCount..];
        // Without a held-out split the whole training set decides what is best.
        var judge = heldCount > 0 ? held : train;

        var parameters = objective.InitialParameters();
        var gradient = new double[parameters.Length];
        var optimiser = new AdamW(parameters.Length, options.WeightDecay);
        int stepsPerEpoch = (train.Length + options.BatchSize - 1) / options.BatchSize;
        var schedule = new CosineSchedule(options.LearningRate, options.Epochs * stepsPerEpoch);

        double initial = MeanLoss(objective, judge, parameters, options.BatchSize);
        if (!double.IsFinite(initial))
            throw new ArgumentException($"the {Which(heldCount)} loss is {Describe(initial)} before fitting: the samples or the model give non-finite values");
        double best = initial;
        var bestParameters = (double[])parameters.Clone();
        int bestEpoch = 0, epoch = 0, stale = 0;
        checkpoint?.Invoke(bestParameters, 0, best);
        progress?.Invoke(new FitProgress(0, options.Epochs, 0, stepsPerEpoch, double.NaN, initial));
        while (epoch < options.Epochs && stale < options.Patience)
        {
            epoch++;
            rng.Shuffle(train);
            double sum = 0;
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                var batch = train.AsSpan(s * options.BatchSize, Math.Min(options.BatchSize, train.Length - s * options.BatchSize)).ToArray();
                double step = objective.Loss(batch, parameters, gradient);
                if (!double.IsFinite(step)) throw Diverged("training", step, epoch, $"step {s + 1} of {stepsPerEpoch}", options);
                sum += step;
                optimiser.Step(parameters, gradient, schedule.At((epoch - 1) * stepsPerEpoch + s));
                progress?.Invoke(new FitProgress(epoch, options.Epochs, s + 1, stepsPerEpoch, sum / (s + 1), null));
            }
            double loss = MeanLoss(objective, judge, parameters, options.BatchSize);
            if (!double.IsFinite(loss)) throw Diverged(Which(heldCount), loss, epoch, "its end", options);
            progress?.Invoke(new FitProgress(epoch, options.Epochs, stepsPerEpoch, stepsPerEpoch, sum / stepsPerEpoch, loss));
            if (loss < best)
            {
                best = loss;
                bestParameters = (double[])parameters.Clone();
                bestEpoch = epoch;
                stale = 0;
                checkpoint?.Invoke(bestParameters, epoch, best);
            }
            else stale++;
        }
        return new FitResult(bestParameters, bestEpoch, initial, best, epoch, train.Length, heldCount);
    }

    static string Describe(double loss) => double.IsNaN(loss) ? "NaN" : "infinite";

    static string Which(int heldCount) => heldCount > 0 ? "held-out" : "training";

    // A NaN loss never compares below the best, so without this a diverged fit ended "successfully" with the start.
    static ArgumentException Diverged(string which, double loss, int epoch, string where, FitOptions options) =>
        new($"the fit diverged: the {which} loss became {Describe(loss)} in epoch {epoch}, {where}, at learning rate {options.LearningRate:G4}; " +
            "try a smaller learning rate");

    /// <summary>The loss over <paramref name="samples"/>, taken a batch at a time (bounded memory), weighted by batch size.</summary>
    public static double MeanLoss(IFitObjective objective, IReadOnlyList<int> samples, double[] parameters, int batchSize)
    {
        double total = 0;
        for (int start = 0; start < samples.Count; start += batchSize)
        {
            var batch = samples.Skip(start).Take(batchSize).ToArray();
            total += objective.Loss(batch, parameters, null) * batch.Length;
        }
        return total / samples.Count;
    }
}

using Sieve.Fitting;

namespace Sieve.Tests.Fitting;

/// <summary>AdamW, the cosine schedule, the options' validation and the loop on a problem with a known answer.</summary>
public class OptimiserTests
{
    [Fact]
    public void AdamWFirstStepIsTheLearningRateAlongMinusTheGradientSignPlusDecoupledDecay()
    {
        var adam = new AdamW(3, weightDecay: 0.1);
        double[] p = [1, -2, 0.5];
        adam.Step(p, [4, -0.001, 0], 0.01);
        // m̂ = g, v̂ = g²: the step is lr·g/|g| (0 for g = 0), and decay subtracts lr·wd·p.
        Assert.Equal(1 - 0.01 * 0.1 * 1 - 0.01, p[0], 6);
        Assert.Equal(-2 + 0.01 * 0.1 * 2 + 0.01, p[1], 4);
        Assert.Equal(0.5 - 0.01 * 0.1 * 0.5, p[2], 12);
    }

    [Fact]
    public void CosineScheduleFallsFromThePeakToTheFloor()
    {
        var s = new CosineSchedule(0.1, 11, 0.05);
        Assert.Equal(0.1, s.At(0), 12);
        Assert.Equal(0.005, s.At(10), 12);
        Assert.Equal(0.1 * (0.05 + 0.95 * 0.5), s.At(5), 12);
        for (int i = 1; i < 11; i++) Assert.True(s.At(i) < s.At(i - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0, 10));
    }

    [Fact]
    public void OptionsAreValidatedOnConstruction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions(epochs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions(learningRate: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions(learningRate: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions(weightDecay: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions(batchSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions(holdOut: 0.6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions(patience: 0));
    }

    /// <summary>Samples y_i; loss ½‖w − y_i‖²: the minimiser is the mean of the samples trained on.</summary>
    sealed class Quadratic(double[][] samples) : IFitObjective
    {
        public string Method => "test";
        public int Samples => samples.Length;
        public double[] InitialParameters() => new double[samples[0].Length];
        public IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Guidance(double[] parameters) => new Dictionary<string, (int[], float[])>();

        public double Loss(IReadOnlyList<int> batch, double[] w, double[]? gradient)
        {
            if (gradient != null) Array.Clear(gradient);
            double loss = 0;
            foreach (int i in batch)
                for (int k = 0; k < w.Length; k++)
                {
                    loss += 0.5 * (w[k] - samples[i][k]) * (w[k] - samples[i][k]) / batch.Count;
                    if (gradient != null) gradient[k] += (w[k] - samples[i][k]) / batch.Count;
                }
            return loss;
        }
    }

    static double[][] Points(int n, int seed) =>
        Enumerable.Range(0, n).Select(_ => FiniteDifferences.Normal(new Random(seed++), 4, 0.5).Select(v => v + 2).ToArray()).ToArray();

    [Fact]
    public void TheLoopLowersTheHeldOutLossReportsProgressAndCheckpointsEveryBest()
    {
        var objective = new Quadratic(Points(40, 1));
        var reports = new List<FitProgress>();
        var checkpoints = new List<int>();
        var result = GuidanceTrainer.Fit(objective, new FitOptions(epochs: 30, learningRate: 0.2, weightDecay: 0, batchSize: 8, holdOut: 0.25, patience: 30), reports.Add, (_, epoch, _) => checkpoints.Add(epoch));
        Assert.Equal((30, 10), (result.TrainSamples, result.HeldOutSamples));
        Assert.True(result.BestLoss < 0.2 * result.InitialLoss, $"{result.InitialLoss} → {result.BestLoss}");
        Assert.All(result.Parameters, w => Assert.InRange(w, 1.5, 2.5));
        Assert.Equal(0, checkpoints[0]);
        Assert.Equal(result.BestEpoch, checkpoints[^1]);
        Assert.Equal(30 * 4 + 31, reports.Count); // 4 steps per epoch, one held-out report per epoch and one before
        Assert.All(reports.Where(r => r.HeldOutLoss == null), r => Assert.True(double.IsFinite(r.RunningLoss)));
    }

    [Fact]
    public void SameSeedSameParametersAnotherSeedAnotherSplit()
    {
        var objective = new Quadratic(Points(25, 2));
        var options = new FitOptions(epochs: 3, learningRate: 0.05, batchSize: 4, seed: 7);
        Assert.Equal(GuidanceTrainer.Fit(objective, options).Parameters, GuidanceTrainer.Fit(objective, options).Parameters);
        Assert.NotEqual(GuidanceTrainer.Fit(objective, options).Parameters, GuidanceTrainer.Fit(objective, new FitOptions(epochs: 3, learningRate: 0.05, batchSize: 4, seed: 8)).Parameters);
    }

    [Fact]
    public void StopsEarlyWhenTheHeldOutLossStopsImprovingAndKeepsTheBest()
    {
        // A step size far too large for the problem: the held-out loss never beats the start.
        var objective = new Quadratic(Points(20, 3));
        var result = GuidanceTrainer.Fit(objective, new FitOptions(epochs: 20, learningRate: 50, weightDecay: 0, batchSize: 5, patience: 2));
        Assert.Equal(2, result.EpochsRun);
        Assert.Equal(0, result.BestEpoch);
        Assert.Equal(new double[4], result.Parameters);
        Assert.Equal(result.InitialLoss, result.BestLoss);
    }

    [Fact]
    public void ALossThatGoesNonFiniteStopsTheFitWithTheReason()
    {
        // Steps of 1e308 overflow the parameters, then the loss: the fit must fail, not end "best: the start".
        var objective = new Quadratic(Points(20, 4));
        var checkpoints = new List<int>();
        var e = Assert.Throws<ArgumentException>(() => GuidanceTrainer.Fit(objective, new FitOptions(epochs: 3, learningRate: 1e308, batchSize: 5), checkpoint: (_, epoch, _) => checkpoints.Add(epoch)));
        Assert.Equal("the fit diverged: the training loss became infinite in epoch 1, step 2 of 4, at learning rate 1E+308; try a smaller learning rate", e.Message);
        Assert.Equal([0], checkpoints); // the starting point only: nothing diverged was offered as a best

        var broken = new Quadratic([[double.NaN, 0, 0, 0], [1, 2, 3, 4]]);
        var before = Assert.Throws<ArgumentException>(() => GuidanceTrainer.Fit(broken, new FitOptions(epochs: 1, batchSize: 1, holdOut: 0)));
        Assert.Equal("the training loss is NaN before fitting: the samples or the model give non-finite values", before.Message);
    }
}

using Sieve.Tests.Support;

namespace Sieve.Tests.Reference;

/// <summary>
/// Float64 BLIP text decoder (<c>BlipTextLMHeadModel</c>) and Hugging Face's greedy and beam search for one sequence,
/// written from the transformers definitions with no cache: every step recomputes the whole sequence.
/// </summary>
public static class BlipGenerationReference
{
    const string Head = "text_decoder.cls.predictions.";

    /// <summary>Logits [tokens, vocabulary] at every position of <paramref name="ids"/>, cross-attending to <paramref name="context"/> ([M, D_v]).</summary>
    public static double[] Logits(Func<string, double[]> w, TinyBlip.Shape s, int[] ids, double[] context, bool tied = true)
    {
        int d = s.TextWidth, t = ids.Length, v = TinyBlip.VocabSize;
        var x = BlipReference.TextStates(w, s, ids, context, "text_decoder.bert.", causal: true);
        var h = Ref64.Linear(x, t, w(Head + "transform.dense.weight"), w(Head + "transform.dense.bias"), d, d).Select(Ref64.Gelu).ToArray();
        h = Ref64.LayerNorm(h, t, w(Head + "transform.LayerNorm.weight"), w(Head + "transform.LayerNorm.bias"), TinyBlip.Shape.TextEps);
        var projection = tied ? w("text_decoder.bert.embeddings.word_embeddings.weight") : w(Head + "decoder.weight");
        return Ref64.Linear(h, t, projection, w(Head + "bias"), d, v);
    }

    /// <summary>Generation settings, as in a generation config.</summary>
    public sealed record Settings(int MaxLength, int MinLength = 0, int Beams = 1, double RepetitionPenalty = 1, double LengthPenalty = 1);

    /// <summary>The processed log-probabilities (beams) or scores (greedy) of the token after <paramref name="sequence"/>.</summary>
    static double[] NextScores(Func<string, double[]> w, TinyBlip.Shape s, List<int> sequence, double[] context, Settings o, int eos)
    {
        int v = TinyBlip.VocabSize;
        var all = Logits(w, s, [.. sequence], context);
        var scores = all.AsSpan((sequence.Count - 1) * v, v).ToArray();
        foreach (int id in sequence.Distinct())
            scores[id] = scores[id] > 0 ? scores[id] / o.RepetitionPenalty : scores[id] * o.RepetitionPenalty;
        if (sequence.Count < o.MinLength) scores[eos] = double.NegativeInfinity;
        return scores;
    }

    /// <summary>Greedy search (num_beams 1): the whole sequence, prompt first.</summary>
    public static int[] Greedy(Func<string, double[]> w, TinyBlip.Shape s, double[] context, int[] prompt, Settings o, int eos)
    {
        var sequence = prompt.ToList();
        while (sequence.Count < o.MaxLength)
        {
            var scores = NextScores(w, s, sequence, context, o, eos);
            int best = Array.IndexOf(scores, scores.Max());
            sequence.Add(best);
            if (best == eos) break;
        }
        return [.. sequence];
    }

    /// <summary>Beam search as transformers' BeamSearchScorer with early_stopping False: the best finished sequence, eos appended when shorter than the max.</summary>
    public static int[] Beam(Func<string, double[]> w, TinyBlip.Shape s, double[] context, int[] prompt, Settings o, int eos)
    {
        int k = o.Beams, start = prompt.Length;
        var beams = new List<(List<int> Seq, double Score)> { (prompt.ToList(), 0) };
        var done = new List<(double Score, List<int> Seq)>();
        double worst = 1e9;
        void Keep(List<int> seq, double sum, int generated)
        {
            double score = sum / Math.Pow(generated, o.LengthPenalty);
            if (done.Count < k || score > worst)
            {
                done.Add((score, seq));
                if (done.Count > k)
                {
                    var sorted = done.OrderBy(d => d.Score).ToList();
                    done.Remove(sorted[0]);
                    worst = sorted[1].Score;
                }
                else worst = Math.Min(score, worst);
            }
        }
        bool finished = false;
        while (true)
        {
            int length = beams[0].Seq.Count;
            var candidates = new List<(int Beam, int Token, double Score)>();
            for (int b = 0; b < beams.Count; b++)
            {
                var scores = NextScores(w, s, beams[b].Seq, context, o, eos);
                double max = scores.Max(), logSum = max + Math.Log(scores.Sum(x => Math.Exp(x - max)));
                for (int t = 0; t < scores.Length; t++) candidates.Add((b, t, beams[b].Score + scores[t] - logSum));
            }
            var top = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Beam).ThenBy(c => c.Token).Take(2 * k).ToList();
            var next = new List<(List<int> Seq, double Score)>();
            for (int rank = 0; rank < top.Count; rank++)
            {
                var (b, token, score) = top[rank];
                if (token == eos)
                {
                    if (rank < k) Keep(beams[b].Seq, score, length + 1 - start);
                }
                else next.Add(([.. beams[b].Seq, token], score));
                if (next.Count == k) break;
            }
            finished = done.Count >= k && worst >= top[0].Score / Math.Pow(length + 1 - start, o.LengthPenalty);
            beams = next;
            if (finished || length + 1 >= o.MaxLength) break;
        }
        if (!finished)
            foreach (var (seq, score) in beams) Keep(seq, score, seq.Count - start);
        var best = done.OrderBy(d => d.Score).Last().Seq;
        return best.Count < o.MaxLength ? [.. best, eos] : [.. best];
    }
}

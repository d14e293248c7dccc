namespace Sieve.Models.Generation;

/// <summary>
/// Greedy and beam search over an <see cref="IDecoderSession"/>, as <c>transformers</c>' <c>generate</c> runs them for one
/// sequence: the logits processors <c>repetition_penalty</c> and <c>min_length</c>, then the most likely token (greedy) or
/// the <c>BeamSearchScorer</c> (2 × beams candidates a step; a candidate ending the sequence among the first beams is a
/// finished hypothesis ranked by summed log-probability ÷ generated length^<c>length_penalty</c>; <c>early_stopping</c>
/// false: stop once no running beam can beat the worst kept hypothesis). Scores are kept in float64.
/// </summary>
internal static class TextGenerator
{
    /// <summary>
    /// The whole sequence — <paramref name="prompt"/>, then the generated tokens, the end token last when it came before
    /// the max length — as <c>generate</c> returns it.
    /// </summary>
    /// <param name="session">A fresh session (it is appended to, and forked for beams).</param>
    /// <param name="prompt">The tokens decoding starts from (at least one).</param>
    /// <param name="options">Lengths, beams and penalties.</param>
    /// <param name="eos">The token that ends a sequence.</param>
    /// <exception cref="ArgumentException">The prompt is empty or already as long as the max length.</exception>
    public static int[] Generate(IDecoderSession session, ReadOnlySpan<int> prompt, GenerationOptions options, int eos)
    {
        options.Checked();
        if (prompt.IsEmpty) throw new ArgumentException("the prompt is empty; decoding needs at least the start token", nameof(prompt));
        if (prompt.Length >= options.MaxLength)
            throw new ArgumentException($"the prompt has {prompt.Length} tokens, as many as the max length {options.MaxLength} allows: nothing is left to generate", nameof(prompt));
        var logits = session.Append(prompt);
        return options.Beams == 1
            ? Greedy(session, [.. prompt], logits, options, eos)
            : Beam(session, [.. prompt], logits, options, eos);
    }

    static int[] Greedy(IDecoderSession session, List<int> sequence, float[] logits, GenerationOptions options, int eos)
    {
        while (true)
        {
            var scores = Processed(logits, sequence, options, eos);
            int next = 0;
            for (int v = 1; v < scores.Length; v++)
                if (scores[v] > scores[next]) next = v; // the first of equal maxima, as torch.argmax
            sequence.Add(next);
            if (next == eos || sequence.Count >= options.MaxLength) return [.. sequence];
            logits = session.Append([next]);
        }
    }

    /// <summary>One running beam: its session, tokens and summed log-probability.</summary>
    sealed record Running(IDecoderSession Session, List<int> Tokens, double Score, float[] Logits);

    static int[] Beam(IDecoderSession session, List<int> prompt, float[] logits, GenerationOptions options, int eos)
    {
        int beams = options.Beams, promptLength = prompt.Count;
        var finished = new Hypotheses(beams, options.LengthPenalty);
        // transformers starts every beam but the first at −1e9, so the first step expands the prompt alone.
        var running = new List<Running> { new(session, prompt, 0, logits) };
        bool done = false;
        while (true)
        {
            int length = running[0].Tokens.Count;
            var candidates = TopCandidates(running, options, eos, 2 * beams);
            var next = new List<(int Beam, int Token, double Score)>();
            for (int rank = 0; rank < candidates.Count && next.Count < beams; rank++)
            {
                var c = candidates[rank];
                if (c.Token != eos) next.Add(c);
                else if (rank < beams) finished.Add(running[c.Beam].Tokens, c.Score, length + 1 - promptLength);
            }
            done = finished.IsDone(candidates[0].Score, length + 1 - promptLength);
            // A beam's session goes to its last continuation; the others fork it before anything is appended.
            var uses = next.GroupBy(n => n.Beam).ToDictionary(g => g.Key, g => g.Count());
            var continued = new List<(IDecoderSession Session, List<int> Tokens, double Score, int Token)>();
            foreach (var (b, token, score) in next)
            {
                var source = running[b];
                var s = --uses[b] > 0 ? source.Session.Fork() : source.Session;
                continued.Add((s, [.. source.Tokens, token], score, token));
            }
            if (done || length + 1 >= options.MaxLength)
            {
                if (!done)
                    foreach (var c in continued) finished.Add(c.Tokens, c.Score, c.Tokens.Count - promptLength);
                break;
            }
            running = continued.Select(c => new Running(c.Session, c.Tokens, c.Score, c.Session.Append([c.Token]))).ToList();
        }
        var best = finished.Best();
        return best.Count < options.MaxLength ? [.. best, eos] : [.. best];
    }

    /// <summary>The <paramref name="count"/> best (beam, token, summed log-probability), best first; ties keep the lower beam and token.</summary>
    static List<(int Beam, int Token, double Score)> TopCandidates(List<Running> running, GenerationOptions options, int eos, int count)
    {
        var top = new List<(int Beam, int Token, double Score)>(count + 1);
        for (int b = 0; b < running.Count; b++)
        {
            var scores = Processed(running[b].Logits, running[b].Tokens, options, eos);
            double max = scores.Max(), sum = 0;
            foreach (double s in scores) sum += Math.Exp(s - max);
            double logSum = max + Math.Log(sum);
            for (int v = 0; v < scores.Length; v++)
            {
                double score = running[b].Score + scores[v] - logSum;
                if (top.Count == count && !(score > top[^1].Score)) continue;
                int at = top.Count;
                while (at > 0 && score > top[at - 1].Score) at--;
                top.Insert(at, (b, v, score));
                if (top.Count > count) top.RemoveAt(count);
            }
        }
        return top;
    }

    /// <summary>The logits after <c>repetition_penalty</c> over <paramref name="sequence"/> and <c>min_length</c> (end token at −∞ while too short).</summary>
    static double[] Processed(float[] logits, List<int> sequence, GenerationOptions options, int eos)
    {
        var scores = Array.ConvertAll(logits, v => (double)v);
        if (options.RepetitionPenalty != 1f)
            foreach (int id in sequence.Distinct())
                scores[id] = scores[id] < 0 ? scores[id] * options.RepetitionPenalty : scores[id] / options.RepetitionPenalty;
        if (sequence.Count < options.MinLength && (uint)eos < (uint)scores.Length) scores[eos] = double.NegativeInfinity;
        return scores;
    }

    /// <summary>transformers' <c>BeamHypotheses</c>: the best finished sequences (at most the beam count) and the worst score kept.</summary>
    sealed class Hypotheses(int beams, float lengthPenalty)
    {
        readonly List<(double Score, List<int> Tokens)> _kept = [];
        double _worst = 1e9;

        public void Add(List<int> tokens, double sumLogProbabilities, int generatedLength)
        {
            double score = sumLogProbabilities / Math.Pow(generatedLength, lengthPenalty);
            if (_kept.Count >= beams && !(score > _worst)) return;
            _kept.Add((score, [.. tokens]));
            if (_kept.Count > beams)
            {
                var order = _kept.Select((h, i) => (h.Score, i)).OrderBy(p => p.Score).ToList();
                _kept.RemoveAt(order[0].i);
                _worst = order[1].Score;
            }
            else _worst = Math.Min(score, _worst);
        }

        /// <summary>Enough hypotheses, and none of the running beams (best summed log-probability <paramref name="best"/>) could rank above the worst.</summary>
        public bool IsDone(double best, int generatedLength) =>
            _kept.Count >= beams && _worst >= best / Math.Pow(generatedLength, lengthPenalty);

        /// <summary>The best hypothesis (the later one of equal scores, as transformers' sort-then-pop picks).</summary>
        public List<int> Best()
        {
            int best = 0;
            for (int i = 1; i < _kept.Count; i++)
                if (_kept[i].Score >= _kept[best].Score) best = i;
            return _kept[best].Tokens;
        }
    }
}

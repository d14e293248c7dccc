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
        if (prompt.IsEmpty) throw new ArgumentException("the prompt is empty; decoding needs at least the start token", nameof(prompt));
        options = Limited(options, prompt.Length);
        var logits = session.Append(prompt);
        return options.Beams == 1
            ? Greedy(session, [.. prompt], logits, options, [eos], null)
            : Beam(session, [.. prompt], logits, options, eos);
    }

    /// <summary>
    /// Greedy or sampled decoding after a prefill the caller ran (LLaVA's prompt carries image features, not only ids):
    /// the whole sequence, as <see cref="Generate"/> returns it. Each generated token goes to <paramref name="onToken"/> as
    /// soon as it is chosen; decoding stops after any of <paramref name="stops"/>.
    /// </summary>
    /// <param name="session">The session the prompt was fed to.</param>
    /// <param name="prompt">The prompt's ids (what lengths and the repetition penalty count).</param>
    /// <param name="logits">What the prefill returned: the logits of the token after the prompt.</param>
    /// <param name="options">Lengths, penalties and sampling; one beam.</param>
    /// <param name="stops">Tokens that end the answer (the end token, and any others the checkpoint names).</param>
    /// <param name="onToken">Null, or called with each generated token.</param>
    /// <exception cref="ArgumentException">Beams were asked for, or the prompt already fills the max length.</exception>
    public static int[] Continue(IDecoderSession session, ReadOnlySpan<int> prompt, float[] logits, GenerationOptions options, IReadOnlyCollection<int> stops, Action<int>? onToken = null)
    {
        options = Limited(options, prompt.Length);
        if (options.Beams != 1) throw new ArgumentException("decoding after a prefill runs one sequence; beams are not supported", nameof(options));
        return Greedy(session, [.. prompt], logits, options, stops, onToken);
    }

    /// <summary>The options checked, with <see cref="GenerationOptions.MaxNewTokens"/> turned into the max length after <paramref name="promptLength"/> tokens.</summary>
    static GenerationOptions Limited(GenerationOptions options, int promptLength)
    {
        options.Checked();
        if (options.MaxNewTokens is { } n) options = options with { MaxLength = promptLength + n, MinLength = Math.Min(options.MinLength, promptLength + n) };
        if (promptLength >= options.MaxLength)
            throw new ArgumentException($"the prompt has {promptLength} tokens, as many as the max length {options.MaxLength} allows: nothing is left to generate");
        return options;
    }

    static int[] Greedy(IDecoderSession session, List<int> sequence, float[] logits, GenerationOptions options, IReadOnlyCollection<int> stops, Action<int>? onToken)
    {
        var sampler = options.Temperature > 0 ? new TokenSampler(options) : null;
        while (true)
        {
            var scores = Processed(logits, sequence, options, stops);
            int next = 0;
            if (sampler != null) next = sampler.Next(scores);
            else
                for (int v = 1; v < scores.Length; v++)
                    if (scores[v] > scores[next]) next = v; // the first of equal maxima, as torch.argmax
            sequence.Add(next);
            onToken?.Invoke(next);
            if (stops.Contains(next) || sequence.Count >= options.MaxLength) return [.. sequence];
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
            var scores = Processed(running[b].Logits, running[b].Tokens, options, [eos]);
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

    /// <summary>The logits after <c>repetition_penalty</c> over <paramref name="sequence"/> and <c>min_length</c> (end tokens at −∞ while too short).</summary>
    static double[] Processed(float[] logits, List<int> sequence, GenerationOptions options, IReadOnlyCollection<int> stops)
    {
        var scores = Array.ConvertAll(logits, v => (double)v);
        if (options.RepetitionPenalty != 1f)
            foreach (int id in sequence.Distinct())
                scores[id] = scores[id] < 0 ? scores[id] * options.RepetitionPenalty : scores[id] / options.RepetitionPenalty;
        if (sequence.Count < options.MinLength)
            foreach (int eos in stops)
                if ((uint)eos < (uint)scores.Length) scores[eos] = double.NegativeInfinity;
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

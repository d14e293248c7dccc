using System.Text.Json;
using Sieve.Models;
using Sieve.Tensors;

namespace Sieve.Cli.Serve;

/// <summary>
/// Zero-shot label embeddings kept across requests: at most <c>capacity</c> classifiers (each holding its labels' text
/// embeddings), least recently used dropped first, keyed by labels, templates, reducer spec and precision, so repeated
/// <c>/v1/zeroshot</c> requests with the same labels do not encode their prompts again. Capacity 0 keeps nothing.
/// </summary>
internal sealed class LabelEmbeddingCache(int capacity, ServeMetrics metrics)
{
    readonly Dictionary<string, LinkedListNode<(string Key, ZeroShotClassifier Classifier)>> _entries = new(StringComparer.Ordinal);
    readonly LinkedList<(string Key, ZeroShotClassifier Classifier)> _recency = new(); // most recent first

    /// <summary>Classifiers kept now.</summary>
    public int Count
    {
        get { lock (_entries) return _entries.Count; }
    }

    /// <summary>The key of one label set: every part that changes the text embeddings, unambiguously joined (as JSON).</summary>
    /// <param name="labels">The class names, in order.</param>
    /// <param name="templates">The prompt templates, or null for CLIP's ensemble.</param>
    /// <param name="reducerSpec">The reducer spec the request runs under (a text reducer changes the embeddings).</param>
    /// <param name="precision">The blocks' arithmetic.</param>
    public static string Key(IReadOnlyList<string> labels, IReadOnlyList<string>? templates, string reducerSpec, Precision precision) =>
        JsonSerializer.Serialize(new object?[] { labels, templates, reducerSpec, precision.ToString() });

    /// <summary>
    /// The classifier kept under <paramref name="key"/>, else <paramref name="create"/>'s (kept, dropping the least
    /// recently used when full); <c>Cached</c> says which. Two requests missing the same key at once both create it.
    /// </summary>
    public (ZeroShotClassifier Classifier, bool Cached) GetOrAdd(string key, Func<ZeroShotClassifier> create)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                metrics.LabelCache.WithLabels("hit").Inc();
                return (node.Value.Classifier, true);
            }
        }
        metrics.LabelCache.WithLabels("miss").Inc();
        var classifier = create(); // outside the lock: encoding the prompts is model work
        if (capacity == 0) return (classifier, false);
        lock (_entries)
        {
            if (!_entries.ContainsKey(key))
            {
                if (_entries.Count >= capacity)
                {
                    _entries.Remove(_recency.Last!.Value.Key);
                    _recency.RemoveLast();
                }
                _entries[key] = _recency.AddFirst((key, classifier));
            }
            metrics.LabelCacheEntries.Set(_entries.Count);
        }
        return (classifier, false);
    }
}

using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Sieve.Tests.Reference;

namespace Sieve.Tests.Extensions;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> held in a dictionary, standing in for a connector (none
/// in memory is served here): exhaustive cosine-similarity search. Like the connectors' <c>EmbeddingGenerator</c>
/// option, a text generator given to it lets <see cref="SearchAsync{TInput}"/> take a string; vectors
/// (<see cref="ReadOnlyMemory{T}"/> or <see cref="Embedding{T}"/>) are taken as they are.
/// </summary>
/// <param name="name">The collection's name.</param>
/// <param name="key">A record's key.</param>
/// <param name="vector">A record's vector.</param>
/// <param name="textGenerator">Embeds string search values; null: strings are refused.</param>
public sealed class InMemoryVectorCollection<TRecord>(string name, Func<TRecord, string> key, Func<TRecord, ReadOnlyMemory<float>> vector,
    IEmbeddingGenerator<string, Embedding<float>>? textGenerator = null) : VectorStoreCollection<string, TRecord>
    where TRecord : class
{
    readonly Dictionary<string, TRecord> _records = [];
    bool _exists;

    public override string Name => name;

    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) => Task.FromResult(_exists);

    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        _exists = true;
        return Task.CompletedTask;
    }

    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        _exists = false;
        _records.Clear();
        return Task.CompletedTask;
    }

    public override Task<TRecord?> GetAsync(string key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(_records.GetValueOrDefault(key));

    public override async IAsyncEnumerable<TRecord> GetAsync(Expression<Func<TRecord, bool>> filter, int top,
        FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        foreach (var record in _records.Values.Where(filter.Compile()).Take(top)) yield return record;
    }

    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        _records.Remove(key);
        return Task.CompletedTask;
    }

    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default) => UpsertAsync([record], cancellationToken);

    public override Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        if (!_exists) throw new InvalidOperationException($"collection '{name}' does not exist");
        foreach (var record in records) _records[key(record)] = record;
        return Task.CompletedTask;
    }

    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(TInput searchValue, int top,
        VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (options is { Filter: not null } or { Skip: > 0 } or { VectorProperty: not null })
            throw new NotSupportedException("this collection searches its one vector, unfiltered, from the top");
        var query = searchValue switch
        {
            ReadOnlyMemory<float> v => v,
            Embedding<float> e => e.Vector,
            string text when textGenerator != null => (await textGenerator.GenerateAsync([text], cancellationToken: cancellationToken))[0].Vector,
            _ => throw new NotSupportedException($"cannot search with a {typeof(TInput).Name}"),
        };
        var ranked = _records.Values.Select(r => new VectorSearchResult<TRecord>(r, Ref64.Cosine(query.Span, vector(r).Span)))
            .OrderByDescending(r => r.Score).Take(top);
        foreach (var result in ranked) yield return result;
    }

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey == null && serviceType.IsInstanceOfType(this) ? this : null;
}

using System.Text.RegularExpressions;
using Sieve.Tests.Support;

namespace Sieve.Tests.Architecture;

/// <summary>
/// The folders of <c>src/Sieve</c> import one another only as the README's Layout section says, and that list has no
/// cycle: a folder never imports one that imports it back. Imports are read from the code (<c>using Sieve.X</c>,
/// <c>Sieve.X.</c> written out, and <c>X.Type</c> for a type of folder X — its files are named after their types —
/// comments excluded), so a new reference is caught when it is written.
/// </summary>
public sealed partial class LayeringTests
{
    static readonly string Root = RepositoryRoot.Path;

    [Fact]
    public void EveryFolderImportsOnlyWhatTheReadmeAllows()
    {
        var allowed = Documented();
        var actual = Imports();
        Assert.Equal(allowed.Keys.Order().ToArray(), actual.Keys.Order().ToArray()); // every folder is documented, and nothing else
        var extra = actual.SelectMany(f => f.Value.Except(allowed[f.Key]).Select(to => $"{f.Key} → {to}")).ToList();
        Assert.True(extra.Count == 0, "imports the README's Layout does not allow: " + string.Join(", ", extra));
    }

    [Fact]
    public void TheDocumentedLayeringHasNoCycle()
    {
        var cycle = Cycle(Documented());
        Assert.True(cycle == null, $"folders import each other: {string.Join(" → ", cycle ?? [])}");
    }

    [Fact]
    public void ACycleIsFound()
    {
        // The check itself: a → b → c → a is reported, a tree is not.
        Assert.Equal(["a", "b", "c", "a"], Cycle(new() { ["a"] = ["b"], ["b"] = ["c"], ["c"] = ["a"], ["d"] = [] }) ?? []);
        Assert.Null(Cycle(new() { ["a"] = ["b", "c"], ["b"] = ["c"], ["c"] = [] }));
    }

    /// <summary>The README's list: the first run of lines <c>Folder → A, B</c> (or <c>→ nothing</c>) after "Folder dependencies".</summary>
    static Dictionary<string, string[]> Documented()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        int start = readme.IndexOf("Folder dependencies", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no 'Folder dependencies' list in its Layout section");
        var rules = new Dictionary<string, string[]>();
        foreach (string line in readme[start..].Split('\n').SkipWhile(l => !l.Contains('→')).TakeWhile(l => l.Contains('→')))
        {
            var parts = line.Trim().Trim('`').Split('→', StringSplitOptions.TrimEntries);
            rules[parts[0]] = parts[1] == "nothing" ? [] : parts[1].Split(',', StringSplitOptions.TrimEntries);
        }
        return rules;
    }

    /// <summary>What each folder of src/Sieve (and the root namespace, "Sieve") imports from the others.</summary>
    static Dictionary<string, string[]> Imports()
    {
        string src = Path.Combine(Root, "src", "Sieve");
        var folders = Directory.GetDirectories(src).Select(d => Path.GetFileName(d)!).Where(d => d is not ("bin" or "obj")).ToArray();
        string[] Files(string folder) => folder == "Sieve"
            ? Directory.GetFiles(src, "*.cs")
            : Directory.GetFiles(Path.Combine(src, folder), "*.cs", SearchOption.AllDirectories);
        // A folder's types, by the names of its files (ITower.cs, PreprocessOptions.Blip.cs → ITower, PreprocessOptions).
        var types = folders.ToDictionary(f => f, f => Files(f).Select(file => Path.GetFileName(file).Split('.')[0]).ToHashSet());
        var imports = new Dictionary<string, string[]>();
        foreach (string folder in folders.Append("Sieve"))
        {
            imports[folder] = Files(folder).Select(file => WithoutComments(File.ReadAllText(file)))
                .SelectMany(code => Reference().Matches(code).Select(m => m.Groups[1].Value)
                    .Concat(QualifiedType().Matches(code).Where(m => types.TryGetValue(m.Groups[1].Value, out var t) && t.Contains(m.Groups[2].Value))
                        .Select(m => m.Groups[1].Value)))
                .Where(to => to != folder && folders.Contains(to))
                .Distinct().Order().ToArray();
        }
        return imports;
    }

    static string WithoutComments(string code) => LineComment().Replace(code, "");

    /// <summary>A path a → … → a in <paramref name="graph"/>, or null.</summary>
    static string[]? Cycle(Dictionary<string, string[]> graph)
    {
        var state = new Dictionary<string, int>(); // 1: on the current path, 2: done
        var path = new List<string>();
        string[]? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 2) return null;
            if (state.GetValueOrDefault(node) == 1) return [.. path.Skip(path.IndexOf(node)), node];
            state[node] = 1;
            path.Add(node);
            foreach (string next in graph.GetValueOrDefault(node, []))
                if (Visit(next) is { } found) return found;
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        return graph.Keys.Order().Select(Visit).FirstOrDefault(c => c != null);
    }

    [GeneratedRegex(@"\bSieve\.([A-Z][A-Za-z]*)\b")]
    private static partial Regex Reference();

    /// <summary><c>X.Y</c> not itself a member access (<c>a.X.Y</c>): a type Y of folder X written relative to <c>Sieve</c>.</summary>
    [GeneratedRegex(@"(?<![\w.])([A-Z][A-Za-z]*)\.([A-Z][A-Za-z0-9]*)\b")]
    private static partial Regex QualifiedType();

    [GeneratedRegex(@"//.*")]
    private static partial Regex LineComment();
}

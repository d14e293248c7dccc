using System.Globalization;

namespace Sieve.Data.Jinja;

/// <summary>
/// Jinja's values as Sieve holds them: <see cref="string"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>,
/// null (<c>none</c>), <see cref="Undefined"/>, lists (<see cref="IReadOnlyList{T}"/> of values) and mappings
/// (<see cref="IReadOnlyDictionary{TKey, TValue}"/> from names to values); with Python's truthiness, equality and printing.
/// </summary>
internal static class JinjaValues
{
    /// <summary>A name or key that is not there: prints as nothing and is false, as Jinja's default <c>Undefined</c>.</summary>
    public sealed class Undefined
    {
        /// <summary>The one undefined value.</summary>
        public static readonly Undefined Value = new();

        Undefined() { }
    }

    /// <summary>Python's truth of a value: empty strings, lists and mappings, zero, none and undefined are false.</summary>
    public static bool IsTrue(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        string s => s.Length > 0,
        long n => n != 0,
        double d => d != 0,
        IReadOnlyList<object?> list => list.Count > 0,
        IReadOnlyDictionary<string, object?> map => map.Count > 0,
        _ => true,
    };

    /// <summary>The text <c>{{ v }}</c> prints.</summary>
    /// <exception cref="JinjaException">A list or mapping (Sieve does not print Python's representation of them).</exception>
    public static string Print(object? v) => v switch
    {
        Undefined => "",
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        long n => n.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => throw new JinjaException($"printing a {TypeName(v)} is not supported"),
    };

    /// <summary>Python's <c>==</c> for these values (numbers compared by value).</summary>
    public static bool AreEqual(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x == y,
        (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (IReadOnlyList<object?> x, IReadOnlyList<object?> y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
        _ => Equals(a, b),
    };

    /// <summary>The order of two numbers or two strings.</summary>
    /// <exception cref="JinjaException">Other values.</exception>
    public static int Compare(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture)),
        (string x, string y) => string.CompareOrdinal(x, y),
        _ => throw new JinjaException($"ordering a {TypeName(a)} and a {TypeName(b)} is not supported"),
    };

    /// <summary>Python's name for the kind of <paramref name="v"/>, for errors.</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "none",
        Undefined => "undefined value",
        string => "string",
        bool => "boolean",
        long => "integer",
        double => "float",
        IReadOnlyList<object?> => "list",
        IReadOnlyDictionary<string, object?> => "mapping",
        _ => v.GetType().Name,
    };
}

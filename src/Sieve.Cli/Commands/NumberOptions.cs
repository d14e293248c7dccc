using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Sieve.Cli.Commands;

/// <summary>
/// Numeric options whose own parser checks both the text and the range, so that a value like <c>abc</c>,
/// <c>0</c> or <c>1e308</c> is one usage error naming the option, never an exception from a validator.
/// </summary>
internal static class NumberOptions
{
    /// <summary>A whole-number option in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> Integer(string name, string description, int defaultValue, int min, int max) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => ParseInteger(r, name, min, max),
    };

    /// <summary>A whole-number option in [<paramref name="min"/>, <paramref name="max"/>] that may be left out.</summary>
    public static Option<int?> OptionalInteger(string name, string description, int min, int max) => new(name)
    {
        Description = description,
        CustomParser = r => ParseInteger(r, name, min, max),
    };

    /// <summary>A real-number option; <paramref name="valid"/> says which values are allowed, <paramref name="expected"/> describes them.</summary>
    public static Option<double> Real(string name, string description, double defaultValue, Func<double, bool> valid, string expected) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            string text = r.Tokens[^1].Value;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && valid(value)) return value;
            r.AddError($"{name} must be {expected}, got '{UsageError.Echo(text)}'");
            return 0;
        },
    };

    static int ParseInteger(ArgumentResult r, string name, int min, int max)
    {
        string text = r.Tokens[^1].Value;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max) return value;
        string range = (min, max) switch
        {
            (int.MinValue, int.MaxValue) => "a whole number",
            (_, int.MaxValue) => $"at least {min}",
            _ => $"at least {min} and at most {max}",
        };
        r.AddError($"{name} must be {range}, got '{UsageError.Echo(text)}'");
        return 0;
    }
}

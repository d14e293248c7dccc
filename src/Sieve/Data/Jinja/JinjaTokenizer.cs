using System.Globalization;
using System.Text;

namespace Sieve.Data.Jinja;

/// <summary>What a token of an expression is.</summary>
internal enum JinjaTokenKind { Name, String, Integer, Float, Operator, End }

/// <summary>One token of an expression: a name, a literal's value, or an operator's text.</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Text, object? Value = null);

/// <summary>Splits the inside of a tag into names, string and number literals, and operators.</summary>
internal static class JinjaTokenizer
{
    static readonly string[] Operators = ["==", "!=", "<=", ">=", "//", "**", "<", ">", "+", "-", "*", "/", "%", "~", "|", ".", ",", "(", ")", "[", "]", "{", "}", ":", "="];

    /// <summary>The tokens of <paramref name="source"/>, ending with an <see cref="JinjaTokenKind.End"/> token.</summary>
    /// <exception cref="JinjaException">A character or string literal Sieve does not read.</exception>
    public static List<JinjaToken> Tokenize(string source)
    {
        var tokens = new List<JinjaToken>();
        for (int i = 0; i < source.Length;)
        {
            char c = source[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsLetter(c) || c == '_')
            {
                int start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_')) i++;
                tokens.Add(new(JinjaTokenKind.Name, source[start..i]));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                int start = i;
                while (i < source.Length && char.IsAsciiDigit(source[i])) i++;
                bool fraction = i + 1 < source.Length && source[i] == '.' && char.IsAsciiDigit(source[i + 1]);
                if (fraction)
                    for (i++; i < source.Length && char.IsAsciiDigit(source[i]);) i++;
                string digits = source[start..i];
                tokens.Add(fraction
                    ? new(JinjaTokenKind.Float, digits, double.Parse(digits, CultureInfo.InvariantCulture))
                    : new(JinjaTokenKind.Integer, digits, long.Parse(digits, CultureInfo.InvariantCulture)));
                continue;
            }
            if (c is '\'' or '"')
            {
                var text = new StringBuilder();
                int j = i + 1;
                for (; j < source.Length && source[j] != c; j++)
                {
                    if (source[j] != '\\' || j + 1 == source.Length) { text.Append(source[j]); continue; }
                    char e = source[++j];
                    // Python's escapes; an unknown one keeps its backslash, as Python's string literals do.
                    text.Append(e switch { 'n' => "\n", 't' => "\t", 'r' => "\r", '\\' => "\\", '\'' => "'", '"' => "\"", _ => "\\" + e });
                }
                if (j >= source.Length) throw new JinjaException($"the string literal {source[i..]} is not closed");
                tokens.Add(new(JinjaTokenKind.String, source[i..(j + 1)], text.ToString()));
                i = j + 1;
                continue;
            }
            string? op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, i, o, 0, o.Length) == 0);
            if (op == null) throw new JinjaException($"the character '{c}' in \"{source}\" is not supported");
            tokens.Add(new(JinjaTokenKind.Operator, op));
            i += op.Length;
        }
        tokens.Add(new(JinjaTokenKind.End, "end of tag"));
        return tokens;
    }
}

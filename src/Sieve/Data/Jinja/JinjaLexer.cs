using System.Text;

namespace Sieve.Data.Jinja;

/// <summary>
/// Splits a template into text, output and statement pieces as Jinja does with the environment transformers renders
/// chat templates in (<c>trim_blocks</c> and <c>lstrip_blocks</c> on): comments <c>{# … #}</c> are dropped; a
/// <c>-</c> inside a delimiter strips all whitespace on that side; a statement or comment tag otherwise strips the
/// spaces and tabs before it on its line (when only those precede it; <c>{%+</c> keeps them) and the one newline after it.
/// </summary>
internal static class JinjaLexer
{
    /// <summary>The pieces of <paramref name="template"/>.</summary>
    /// <exception cref="JinjaException">A tag is not closed.</exception>
    public static List<JinjaSegment> Split(string template)
    {
        var segments = new List<JinjaSegment>();
        var text = new StringBuilder();
        int textLine = 1, i = 0;
        bool stripNext = false, trimNewline = false;
        while (i < template.Length)
        {
            int open = NextTag(template, i);
            string literal = template[i..(open < 0 ? template.Length : open)];
            bool startsLine = i == 0 || template[i - 1] == '\n' || trimNewline && literal.StartsWith('\n');
            if (stripNext) literal = literal.TrimStart();
            else if (trimNewline && literal.StartsWith('\n')) literal = literal[1..];
            else if (trimNewline && literal.StartsWith("\r\n", StringComparison.Ordinal)) literal = literal[2..];
            (stripNext, trimNewline) = (false, false);
            if (open < 0)
            {
                text.Append(literal);
                break;
            }
            char kind = template[open + 1];
            int line = LineAt(template, open);
            int inner = open + 2;
            if (inner < template.Length && template[inner] == '-') { literal = literal.TrimEnd(); inner++; }
            else if (inner < template.Length && template[inner] == '+' && kind != '{') inner++;
            else if (kind != '{') literal = WithoutIndent(literal, startsLine);
            text.Append(literal);
            string close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            int end = kind == '#' ? template.IndexOf(close, inner, StringComparison.Ordinal) : CloseOutsideStrings(template, inner, close);
            if (end < 0) throw new JinjaException($"line {line}: the tag opened with \"{{{kind}\" is not closed with \"{close}\"");
            int contentEnd = end;
            if (end > inner && template[end - 1] == '-') { contentEnd = end - 1; stripNext = true; }
            else trimNewline = kind != '{';
            if (kind != '#')
            {
                if (text.Length > 0) segments.Add(new(JinjaSegmentKind.Text, text.ToString(), textLine));
                text.Clear();
                segments.Add(new(kind == '{' ? JinjaSegmentKind.Output : JinjaSegmentKind.Statement, template[inner..contentEnd].Trim(), line));
            }
            i = end + 2;
            if (text.Length == 0) textLine = LineAt(template, i);
        }
        if (text.Length > 0) segments.Add(new(JinjaSegmentKind.Text, text.ToString(), textLine));
        return segments;
    }

    static int NextTag(string s, int from)
    {
        for (int i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
            if (s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary><c>lstrip_blocks</c>: the spaces and tabs between the line's start and a statement tag go, when nothing else is there.</summary>
    static string WithoutIndent(string literal, bool startsLine)
    {
        int start = literal.LastIndexOf('\n') + 1;
        if (start == 0 && !startsLine) return literal;
        for (int k = start; k < literal.Length; k++)
            if (literal[k] is not (' ' or '\t')) return literal;
        return literal[..start];
    }

    /// <summary>Where <paramref name="close"/> first appears outside a quoted string, or −1.</summary>
    static int CloseOutsideStrings(string s, int from, string close)
    {
        char quote = '\0';
        for (int i = from; i < s.Length; i++)
        {
            char c = s[i];
            if (quote != '\0')
            {
                if (c == '\\') i++;
                else if (c == quote) quote = '\0';
            }
            else if (c is '\'' or '"') quote = c;
            else if (string.CompareOrdinal(s, i, close, 0, close.Length) == 0) return i;
        }
        return -1;
    }

    static int LineAt(string s, int index)
    {
        int line = 1;
        for (int i = 0; i < index && i < s.Length; i++) if (s[i] == '\n') line++;
        return line;
    }
}

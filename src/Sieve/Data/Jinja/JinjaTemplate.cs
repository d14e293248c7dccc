using System.Text;

namespace Sieve.Data.Jinja;

/// <summary>
/// A Jinja template of the subset chat templates use, rendered as transformers renders them (<c>trim_blocks</c>,
/// <c>lstrip_blocks</c>): text and <c>{{ }}</c> output; <c>{% if/elif/else %}</c>, <c>{% for x in … %}</c> (with
/// <c>loop.first/last/index/index0/…</c>), <c>{% set x = … %}</c>, <c>{% generation %}</c>; comments; <c>{%- -%}</c>
/// whitespace control; literals, variables, <c>x.a</c>, <c>x['a']</c>, <c>x[0]</c>, comparisons, <c>in</c>,
/// <c>and/or/not</c>, <c>+ - ~</c>, <c>a if c else b</c>; the filters <c>trim length count upper lower selectattr</c>,
/// the tests <c>defined undefined none string</c>, the methods <c>.upper() .lower() .strip()</c> and
/// <c>raise_exception(…)</c>. Anything else is an error naming the construct, the line and the file.
/// </summary>
internal sealed class JinjaTemplate
{
    readonly IReadOnlyList<JinjaStatement> _body;

    JinjaTemplate(IReadOnlyList<JinjaStatement> body, string source) => (_body, Source) = (body, source);

    /// <summary>Where the template came from (a file, named in errors).</summary>
    public string Source { get; }

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <param name="text">The template.</param>
    /// <param name="source">Its file, for errors.</param>
    /// <exception cref="SieveFormatException">A construct outside the subset or a malformed tag (with the line and file).</exception>
    public static JinjaTemplate Parse(string text, string source)
    {
        try
        {
            return new JinjaTemplate(JinjaParser.Parse(text), source);
        }
        catch (JinjaException e)
        {
            throw new SieveFormatException($"{source}: chat template: {e.Message}");
        }
    }

    /// <summary>The output for <paramref name="variables"/> (values of <see cref="JinjaValues"/>' kinds).</summary>
    /// <exception cref="SieveFormatException">An operation outside the subset, or the template's <c>raise_exception</c> (with the file).</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var scope = new JinjaScope(null);
        foreach (var (name, value) in variables) scope.Set(name, value);
        var output = new StringBuilder();
        try
        {
            JinjaStatement.RenderAll(_body, scope.Child(), output);
        }
        catch (JinjaException e)
        {
            throw new SieveFormatException($"{Source}: chat template: {e.Message}");
        }
        return output.ToString();
    }
}

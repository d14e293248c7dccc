using System.Text;
using static Sieve.Data.Jinja.JinjaValues;

namespace Sieve.Data.Jinja;

/// <summary>A piece of a parsed template that writes output: text, <c>{{ }}</c>, or a statement with its body.</summary>
internal abstract record JinjaStatement
{
    /// <summary>Appends this piece's output in <paramref name="scope"/> to <paramref name="output"/>.</summary>
    public abstract void Render(JinjaScope scope, StringBuilder output);

    /// <summary>Renders <paramref name="body"/> in order.</summary>
    public static void RenderAll(IReadOnlyList<JinjaStatement> body, JinjaScope scope, StringBuilder output)
    {
        foreach (var s in body) s.Render(scope, output);
    }
}

/// <summary>Literal text.</summary>
internal sealed record JinjaText(string Text) : JinjaStatement
{
    public override void Render(JinjaScope scope, StringBuilder output) => output.Append(Text);
}

/// <summary><c>{{ expression }}</c>, printed.</summary>
internal sealed record JinjaOutput(JinjaExpression Expression) : JinjaStatement
{
    public override void Render(JinjaScope scope, StringBuilder output) => output.Append(Print(Expression.Evaluate(scope)));
}

/// <summary><c>{% if %}…{% elif %}…{% else %}…{% endif %}</c>: the first branch whose condition is true (a null condition is the else).</summary>
internal sealed record JinjaIf(IReadOnlyList<(JinjaExpression? Condition, IReadOnlyList<JinjaStatement> Body)> Branches) : JinjaStatement
{
    public override void Render(JinjaScope scope, StringBuilder output)
    {
        foreach (var (condition, body) in Branches)
            if (condition == null || IsTrue(condition.Evaluate(scope)))
            {
                RenderAll(body, scope, output);
                return;
            }
    }
}

/// <summary>
/// <c>{% for name in list %}…{% endfor %}</c> over a list (or a mapping's keys), each pass in its own frame with <c>loop</c>:
/// <c>index</c>, <c>index0</c>, <c>revindex</c>, <c>revindex0</c>, <c>first</c>, <c>last</c>, <c>length</c>.
/// </summary>
internal sealed record JinjaFor(string Name, JinjaExpression Items, IReadOnlyList<JinjaStatement> Body) : JinjaStatement
{
    public override void Render(JinjaScope scope, StringBuilder output)
    {
        var items = Items.Evaluate(scope) switch
        {
            IReadOnlyList<object?> list => list,
            IReadOnlyDictionary<string, object?> map => map.Keys.Cast<object?>().ToList(),
            Undefined => [],
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            var other => throw new JinjaException($"a for loop over a {TypeName(other)} is not supported"),
        };
        for (int i = 0; i < items.Count; i++)
        {
            var frame = scope.Child();
            frame.Set(Name, items[i]);
            frame.Set("loop", new Dictionary<string, object?>
            {
                ["index"] = (long)i + 1, ["index0"] = (long)i, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                ["first"] = i == 0, ["last"] = i == items.Count - 1, ["length"] = (long)items.Count,
            });
            RenderAll(Body, frame, output);
        }
    }
}

/// <summary><c>{% set name = expression %}</c> in the current frame.</summary>
internal sealed record JinjaSet(string Name, JinjaExpression Value) : JinjaStatement
{
    public override void Render(JinjaScope scope, StringBuilder output) => scope.Set(Name, Value.Evaluate(scope));
}

/// <summary>transformers' <c>{% generation %}…{% endgeneration %}</c>: marks the assistant's part for its masks; renders its body unchanged.</summary>
internal sealed record JinjaGeneration(IReadOnlyList<JinjaStatement> Body) : JinjaStatement
{
    public override void Render(JinjaScope scope, StringBuilder output) => RenderAll(Body, scope, output);
}

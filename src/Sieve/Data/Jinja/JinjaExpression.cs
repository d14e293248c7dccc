using System.Globalization;
using static Sieve.Data.Jinja.JinjaValues;

namespace Sieve.Data.Jinja;

/// <summary>An expression of the Jinja subset Sieve interprets; evaluating it gives a value of <see cref="JinjaValues"/>' kinds.</summary>
internal abstract record JinjaExpression
{
    /// <summary>The value in <paramref name="scope"/>.</summary>
    /// <exception cref="JinjaException">An operation the subset does not have, or <c>raise_exception</c>.</exception>
    public abstract object? Evaluate(JinjaScope scope);
}

/// <summary>A string, number, boolean or none literal.</summary>
internal sealed record JinjaLiteral(object? Value) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope) => Value;
}

/// <summary>A list literal <c>[a, b]</c>.</summary>
internal sealed record JinjaListLiteral(IReadOnlyList<JinjaExpression> Items) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope) => Items.Select(i => i.Evaluate(scope)).ToList();
}

/// <summary>A variable's name.</summary>
internal sealed record JinjaVariable(string Name) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope) => scope.Get(Name);
}

/// <summary><c>x.name</c> and <c>x[key]</c>: a mapping's entry or a list's or string's item (negative from the end); undefined when absent.</summary>
internal sealed record JinjaItem(JinjaExpression Target, JinjaExpression Key) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope)
    {
        object? target = Target.Evaluate(scope), key = Key.Evaluate(scope);
        switch (target, key)
        {
            case (IReadOnlyDictionary<string, object?> map, string name):
                return map.TryGetValue(name, out var v) ? v : Undefined.Value;
            case (IReadOnlyList<object?> list, long index):
                long at = index < 0 ? list.Count + index : index;
                return at >= 0 && at < list.Count ? list[(int)at] : Undefined.Value;
            case (string s, long index):
                long c = index < 0 ? s.Length + index : index;
                return c >= 0 && c < s.Length ? s[(int)c].ToString() : Undefined.Value;
            case (Undefined, _):
                throw new JinjaException($"reading {Key switch { JinjaLiteral { Value: string n } => $"'{n}'", _ => "an item" }} of an undefined value");
            default:
                return Undefined.Value;
        }
    }
}

/// <summary>A call: <c>raise_exception(message)</c>, or a string's <c>.upper()</c>, <c>.lower()</c> or <c>.strip()</c>.</summary>
internal sealed record JinjaCall(JinjaExpression Function, IReadOnlyList<JinjaExpression> Arguments) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope)
    {
        var args = Arguments.Select(a => a.Evaluate(scope)).ToArray();
        switch (Function)
        {
            case JinjaVariable { Name: "raise_exception" }:
                throw new JinjaException($"the template raised an error: {(args.Length > 0 ? Print(args[0]) : "")}");
            case JinjaItem { Key: JinjaLiteral { Value: string method } } m when args.Length == 0 && method is "upper" or "lower" or "strip":
                if (m.Target.Evaluate(scope) is not string s) throw new JinjaException($"the method .{method}() applies to strings only");
                return JinjaFilter.Apply(method == "strip" ? "trim" : method, s, []);
            case JinjaItem { Key: JinjaLiteral { Value: string method } }:
                throw new JinjaException($"the method call .{method}() is not supported");
            case JinjaVariable v:
                throw new JinjaException($"the function {v.Name}() is not supported");
            default:
                throw new JinjaException("this kind of call is not supported");
        }
    }
}

/// <summary><c>x | name(args)</c>.</summary>
internal sealed record JinjaFilter(JinjaExpression Value, string Name, IReadOnlyList<JinjaExpression> Arguments) : JinjaExpression
{
    /// <summary>The filters Sieve has.</summary>
    public static readonly string[] Names = ["trim", "length", "count", "upper", "lower", "selectattr"];

    public override object? Evaluate(JinjaScope scope) => Apply(Name, Value.Evaluate(scope), Arguments.Select(a => a.Evaluate(scope)).ToArray());

    /// <summary>
    /// Filter <paramref name="name"/> on <paramref name="value"/>: <c>trim</c>, <c>upper</c>, <c>lower</c> (strings),
    /// <c>length</c> / <c>count</c>, and <c>selectattr(key)</c> / <c>selectattr(key, 'equalto', value)</c> over a list of mappings.
    /// </summary>
    public static object? Apply(string name, object? value, object?[] args)
    {
        switch (name, value)
        {
            case ("trim", string s): return s.Trim();
            case ("upper", string s): return s.ToUpperInvariant();
            case ("lower", string s): return s.ToLowerInvariant();
            case ("length" or "count", string s): return (long)s.Length;
            case ("length" or "count", IReadOnlyList<object?> list): return (long)list.Count;
            case ("length" or "count", IReadOnlyDictionary<string, object?> map): return (long)map.Count;
            case ("selectattr", IReadOnlyList<object?> list) when args is [string] or [string, "equalto", _]:
                return list.Where(item =>
                {
                    object? v = item is IReadOnlyDictionary<string, object?> m && m.TryGetValue((string)args[0]!, out var x) ? x : Undefined.Value;
                    return args.Length == 1 ? IsTrue(v) : AreEqual(v, args[2]);
                }).ToList();
            case ("selectattr", _):
                throw new JinjaException("selectattr is supported as selectattr('key') or selectattr('key', 'equalto', value) over a list");
            default:
                throw new JinjaException($"the filter {name} does not apply to a {TypeName(value)}");
        }
    }
}

/// <summary><c>x is [not] name</c>: the tests <c>defined</c>, <c>undefined</c>, <c>none</c> and <c>string</c>.</summary>
internal sealed record JinjaTest(JinjaExpression Value, string Name, bool Negated) : JinjaExpression
{
    /// <summary>The tests Sieve has.</summary>
    public static readonly string[] Names = ["defined", "undefined", "none", "string"];

    public override object? Evaluate(JinjaScope scope)
    {
        object? v = Value.Evaluate(scope);
        bool result = Name switch
        {
            "defined" => v is not Undefined,
            "undefined" => v is Undefined,
            "none" => v is null,
            _ => v is string,
        };
        return result != Negated;
    }
}

/// <summary><c>not x</c> and <c>-x</c>.</summary>
internal sealed record JinjaUnary(string Operator, JinjaExpression Operand) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope)
    {
        object? v = Operand.Evaluate(scope);
        return Operator == "not" ? !IsTrue(v) : v switch
        {
            long n => (object)-n,
            double d => -d,
            _ => throw new JinjaException($"negating a {TypeName(v)} is not supported"),
        };
    }
}

/// <summary><c>a and b</c>, <c>a or b</c>: Python's short-circuit, giving one of the operands.</summary>
internal sealed record JinjaLogical(string Operator, JinjaExpression Left, JinjaExpression Right) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope)
    {
        object? left = Left.Evaluate(scope);
        return IsTrue(left) == (Operator == "or") ? left : Right.Evaluate(scope);
    }
}

/// <summary><c>a if condition else b</c> (no <c>else</c>: undefined).</summary>
internal sealed record JinjaConditional(JinjaExpression Condition, JinjaExpression Then, JinjaExpression? Else) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope) =>
        IsTrue(Condition.Evaluate(scope)) ? Then.Evaluate(scope) : Else != null ? Else.Evaluate(scope) : Undefined.Value;
}

/// <summary>Comparisons (<c>== != &lt; &gt; &lt;= &gt;=</c>, <c>in</c>, <c>not in</c>), <c>+ -</c> on numbers, <c>+</c> on strings or lists, and <c>~</c> (both printed and joined).</summary>
internal sealed record JinjaBinary(string Operator, JinjaExpression Left, JinjaExpression Right) : JinjaExpression
{
    public override object? Evaluate(JinjaScope scope)
    {
        object? a = Left.Evaluate(scope), b = Right.Evaluate(scope);
        return Operator switch
        {
            "==" => AreEqual(a, b),
            "!=" => !AreEqual(a, b),
            "<" => Compare(a, b) < 0,
            ">" => Compare(a, b) > 0,
            "<=" => Compare(a, b) <= 0,
            ">=" => Compare(a, b) >= 0,
            "in" => Contains(b, a),
            "not in" => !Contains(b, a),
            "~" => Print(a) + Print(b),
            _ => Arithmetic(a, b),
        };
    }

    static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string part => s.Contains(part, StringComparison.Ordinal),
        IReadOnlyList<object?> list => list.Any(x => AreEqual(x, item)),
        IReadOnlyDictionary<string, object?> map => item is string key && map.ContainsKey(key),
        _ => throw new JinjaException($"'in' a {TypeName(container)} is not supported"),
    };

    object? Arithmetic(object? a, object? b) => (Operator, a, b) switch
    {
        ("+", string x, string y) => x + y,
        ("+", IReadOnlyList<object?> x, IReadOnlyList<object?> y) => x.Concat(y).ToList(),
        ("+", long x, long y) => x + y,
        ("-", long x, long y) => x - y,
        ("+", long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture) + Convert.ToDouble(b, CultureInfo.InvariantCulture),
        ("-", long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture) - Convert.ToDouble(b, CultureInfo.InvariantCulture),
        _ => throw new JinjaException($"'{Operator}' between a {TypeName(a)} and a {TypeName(b)} is not supported"),
    };
}

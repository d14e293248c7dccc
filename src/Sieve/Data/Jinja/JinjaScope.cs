namespace Sieve.Data.Jinja;

/// <summary>The variables a template sees: a frame per <c>for</c> pass (what <c>set</c> assigns there stays there, as in Jinja) over its parent's.</summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    readonly JinjaScope? _parent = parent;
    readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    /// <summary>A frame whose assignments the parent does not see.</summary>
    public JinjaScope Child() => new(this);

    /// <summary>The value of <paramref name="name"/>, or <see cref="JinjaValues.Undefined"/>.</summary>
    public object? Get(string name)
    {
        for (var s = this; s != null; s = s._parent)
            if (s._variables.TryGetValue(name, out var v)) return v;
        return JinjaValues.Undefined.Value;
    }

    /// <summary>Assigns <paramref name="name"/> in this frame.</summary>
    public void Set(string name, object? value) => _variables[name] = value;
}

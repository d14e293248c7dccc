namespace Sieve.Data.Jinja;

/// <summary>
/// Parses the template pieces <see cref="JinjaLexer"/> gives into statements, and each tag's inside into an expression
/// (Jinja's precedence: conditional, <c>or</c>, <c>and</c>, <c>not</c>, comparisons and <c>in</c>, <c>+ -</c>, <c>~</c>,
/// unary minus, then filters and tests after an operand's attribute, item and call suffixes). What the subset lacks is an
/// error naming it.
/// </summary>
internal sealed class JinjaParser
{
    readonly List<JinjaSegment> _segments;
    int _next;

    JinjaParser(List<JinjaSegment> segments) => _segments = segments;

    /// <summary>The statements of <paramref name="template"/>.</summary>
    /// <exception cref="JinjaException">A construct outside the subset, or a malformed tag (with its line).</exception>
    public static IReadOnlyList<JinjaStatement> Parse(string template)
    {
        var parser = new JinjaParser(JinjaLexer.Split(template));
        var (body, end) = parser.Body();
        if (end != null) throw new JinjaException($"line {end.Value.Line}: {{% {end.Value.Content} %}} has no block to close");
        return body;
    }

    /// <summary>Statements up to the next <c>elif</c>, <c>else</c> or <c>end…</c> tag (returned, consumed) or the template's end (null).</summary>
    (List<JinjaStatement> Body, JinjaSegment? End) Body()
    {
        var body = new List<JinjaStatement>();
        while (_next < _segments.Count)
        {
            var segment = _segments[_next++];
            try
            {
                switch (segment.Kind)
                {
                    case JinjaSegmentKind.Text:
                        body.Add(new JinjaText(segment.Content));
                        continue;
                    case JinjaSegmentKind.Output:
                        body.Add(new JinjaOutput(new ExpressionParser(segment.Content).Whole()));
                        continue;
                }
                string keyword = segment.Content.Split(' ', 2)[0];
                if (keyword is "elif" or "else" || keyword.StartsWith("end", StringComparison.Ordinal)) return (body, segment);
                body.Add(keyword switch
                {
                    "if" => If(segment),
                    "for" => For(segment),
                    "set" => Set(segment),
                    "generation" => Generation(segment),
                    _ => throw new JinjaException($"the statement {{% {keyword} %}} is not supported"),
                });
            }
            catch (JinjaException e) when (!e.Message.StartsWith("line ", StringComparison.Ordinal))
            {
                throw new JinjaException($"line {segment.Line}: {e.Message}");
            }
        }
        return (body, null);
    }

    /// <summary>The closing tag of a block opened at <paramref name="open"/>, which must be one of <paramref name="allowed"/>.</summary>
    (List<JinjaStatement> Body, JinjaSegment End) Block(JinjaSegment open, params string[] allowed)
    {
        var (body, end) = Body();
        if (end is not { } e) throw new JinjaException($"{{% {open.Content} %}} is not closed with {{% {allowed[^1]} %}}");
        string keyword = e.Content.Split(' ', 2)[0];
        if (!allowed.Contains(keyword))
            throw new JinjaException($"line {e.Line}: {{% {keyword} %}} inside {{% {open.Content.Split(' ', 2)[0]} %}} is not supported here (expected {string.Join(" or ", allowed.Select(a => $"{{% {a} %}}"))})");
        return (body, e);
    }

    JinjaStatement If(JinjaSegment open)
    {
        var branches = new List<(JinjaExpression?, IReadOnlyList<JinjaStatement>)>();
        var condition = new ExpressionParser(open.Content["if".Length..]).Whole();
        while (true)
        {
            var (body, end) = Block(open, "elif", "else", "endif");
            branches.Add((condition, body));
            string keyword = end.Content.Split(' ', 2)[0];
            if (keyword == "endif") return new JinjaIf(branches);
            if (keyword == "else")
            {
                var (last, _) = Block(open, "endif");
                branches.Add((null, last));
                return new JinjaIf(branches);
            }
            condition = new ExpressionParser(end.Content["elif".Length..]).Whole();
        }
    }

    JinjaStatement For(JinjaSegment open)
    {
        var tokens = JinjaTokenizer.Tokenize(open.Content["for".Length..]);
        if (tokens is not [{ Kind: JinjaTokenKind.Name } name, { Kind: JinjaTokenKind.Name, Text: "in" }, ..])
            throw new JinjaException($"{{% {open.Content} %}}: only \"for name in expression\" is supported");
        var parser = new ExpressionParser(tokens, 2);
        var items = parser.Whole(forLoop: true);
        var (body, _) = Block(open, "endfor");
        return new JinjaFor(name.Text, items, body);
    }

    static JinjaStatement Set(JinjaSegment open)
    {
        var tokens = JinjaTokenizer.Tokenize(open.Content["set".Length..]);
        if (tokens is not [{ Kind: JinjaTokenKind.Name } name, { Kind: JinjaTokenKind.Operator, Text: "=" }, ..])
            throw new JinjaException($"{{% {open.Content} %}}: only \"set name = expression\" is supported");
        return new JinjaSet(name.Text, new ExpressionParser(tokens, 2).Whole());
    }

    JinjaStatement Generation(JinjaSegment open)
    {
        var (body, _) = Block(open, "endgeneration");
        return new JinjaGeneration(body);
    }

    /// <summary>Recursive descent over one tag's tokens.</summary>
    sealed class ExpressionParser(List<JinjaToken> tokens, int start = 0)
    {
        int _at = start;

        public ExpressionParser(string source) : this(JinjaTokenizer.Tokenize(source)) { }

        JinjaToken Peek => tokens[_at];

        bool IsName(string name) => Peek.Kind == JinjaTokenKind.Name && Peek.Text == name;

        bool IsOperator(string op) => Peek.Kind == JinjaTokenKind.Operator && Peek.Text == op;

        void Expect(string op)
        {
            if (!IsOperator(op)) throw new JinjaException($"expected '{op}' but found '{Peek.Text}'");
            _at++;
        }

        /// <summary>An expression that must take every token (a for loop's filter clause <c>if</c> is refused by name).</summary>
        public JinjaExpression Whole(bool forLoop = false)
        {
            var e = forLoop ? Or() : Conditional();
            if (forLoop && (IsName("if") || IsName("recursive"))) throw new JinjaException($"'{Peek.Text}' in a for loop is not supported");
            if (Peek.Kind != JinjaTokenKind.End) throw new JinjaException($"'{Peek.Text}' is not supported here");
            return e;
        }

        JinjaExpression Conditional()
        {
            var e = Or();
            while (IsName("if"))
            {
                _at++;
                var condition = Or();
                JinjaExpression? otherwise = null;
                if (IsName("else")) { _at++; otherwise = Conditional(); }
                e = new JinjaConditional(condition, e, otherwise);
            }
            return e;
        }

        JinjaExpression Or()
        {
            var e = And();
            while (IsName("or")) { _at++; e = new JinjaLogical("or", e, And()); }
            return e;
        }

        JinjaExpression And()
        {
            var e = Not();
            while (IsName("and")) { _at++; e = new JinjaLogical("and", e, Not()); }
            return e;
        }

        JinjaExpression Not()
        {
            if (!IsName("not")) return Comparison();
            _at++;
            return new JinjaUnary("not", Not());
        }

        JinjaExpression Comparison()
        {
            var e = Sum();
            while (true)
            {
                string? op = Peek.Kind == JinjaTokenKind.Operator && Peek.Text is "==" or "!=" or "<" or ">" or "<=" or ">=" ? Peek.Text
                    : IsName("in") ? "in"
                    : IsName("not") && tokens[_at + 1] is { Kind: JinjaTokenKind.Name, Text: "in" } ? "not in" : null;
                if (op == null) return e;
                _at += op == "not in" ? 2 : 1;
                e = new JinjaBinary(op, e, Sum());
            }
        }

        JinjaExpression Sum()
        {
            var e = Concatenation();
            while (IsOperator("+") || IsOperator("-"))
            {
                string op = tokens[_at++].Text;
                e = new JinjaBinary(op, e, Concatenation());
            }
            return e;
        }

        JinjaExpression Concatenation()
        {
            var e = Unary();
            while (IsOperator("~")) { _at++; e = new JinjaBinary("~", e, Unary()); }
            if (Peek.Kind == JinjaTokenKind.Operator && Peek.Text is "*" or "/" or "//" or "%" or "**")
                throw new JinjaException($"the operator '{Peek.Text}' is not supported");
            return e;
        }

        JinjaExpression Unary()
        {
            if (IsOperator("-")) { _at++; return new JinjaUnary("-", Unary()); }
            var e = Postfix(Primary());
            while (true)
            {
                if (IsOperator("|"))
                {
                    _at++;
                    string name = Name("a filter");
                    if (!JinjaFilter.Names.Contains(name)) throw new JinjaException($"the filter '{name}' is not supported (Sieve has {string.Join(", ", JinjaFilter.Names)})");
                    e = new JinjaFilter(e, name, IsOperator("(") ? Arguments() : []);
                }
                else if (IsName("is"))
                {
                    _at++;
                    bool negated = IsName("not");
                    if (negated) _at++;
                    string name = Name("a test");
                    if (!JinjaTest.Names.Contains(name)) throw new JinjaException($"the test 'is {name}' is not supported (Sieve has {string.Join(", ", JinjaTest.Names)})");
                    e = new JinjaTest(e, name, negated);
                }
                else return e;
            }
        }

        string Name(string what)
        {
            if (Peek.Kind != JinjaTokenKind.Name) throw new JinjaException($"expected {what}'s name but found '{Peek.Text}'");
            return tokens[_at++].Text;
        }

        JinjaExpression Primary()
        {
            var t = tokens[_at++];
            switch (t.Kind)
            {
                case JinjaTokenKind.Name:
                    return t.Text switch
                    {
                        "true" or "True" => new JinjaLiteral(true),
                        "false" or "False" => new JinjaLiteral(false),
                        "none" or "None" => new JinjaLiteral(null),
                        _ => new JinjaVariable(t.Text),
                    };
                case JinjaTokenKind.String:
                    // Adjacent string literals join, as in Python.
                    string s = (string)t.Value!;
                    while (Peek.Kind == JinjaTokenKind.String) s += (string)tokens[_at++].Value!;
                    return new JinjaLiteral(s);
                case JinjaTokenKind.Integer or JinjaTokenKind.Float:
                    return new JinjaLiteral(t.Value);
                case JinjaTokenKind.Operator when t.Text == "(":
                    var inner = Conditional();
                    if (IsOperator(",")) throw new JinjaException("tuples are not supported");
                    Expect(")");
                    return inner;
                case JinjaTokenKind.Operator when t.Text == "[":
                    var items = new List<JinjaExpression>();
                    while (!IsOperator("]"))
                    {
                        items.Add(Conditional());
                        if (!IsOperator("]")) Expect(",");
                    }
                    _at++;
                    return new JinjaListLiteral(items);
                case JinjaTokenKind.Operator when t.Text == "{":
                    throw new JinjaException("mapping literals {…} are not supported");
                default:
                    throw new JinjaException($"expected a value but found '{t.Text}'");
            }
        }

        JinjaExpression Postfix(JinjaExpression e)
        {
            while (true)
            {
                if (IsOperator("."))
                {
                    _at++;
                    e = new JinjaItem(e, new JinjaLiteral(Name("an attribute")));
                }
                else if (IsOperator("["))
                {
                    _at++;
                    if (IsOperator(":")) throw new JinjaException("slices [a:b] are not supported");
                    var key = Conditional();
                    if (IsOperator(":")) throw new JinjaException("slices [a:b] are not supported");
                    Expect("]");
                    e = new JinjaItem(e, key);
                }
                else if (IsOperator("(")) e = new JinjaCall(e, Arguments());
                else return e;
            }
        }

        List<JinjaExpression> Arguments()
        {
            Expect("(");
            var args = new List<JinjaExpression>();
            while (!IsOperator(")"))
            {
                if (Peek.Kind == JinjaTokenKind.Name && tokens[_at + 1] is { Kind: JinjaTokenKind.Operator, Text: "=" })
                    throw new JinjaException($"keyword arguments ({Peek.Text}=…) are not supported");
                args.Add(Conditional());
                if (!IsOperator(")")) Expect(",");
            }
            _at++;
            return args;
        }
    }
}

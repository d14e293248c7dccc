using Sieve.Data.Jinja;

namespace Sieve.Tests.Data;

/// <summary>
/// The Jinja subset chat templates are rendered with (<see cref="JinjaTemplate"/>), each expectation worked out by hand
/// from Jinja's rules with transformers' environment (<c>trim_blocks</c>, <c>lstrip_blocks</c>); and the one-line errors
/// for what the subset lacks.
/// </summary>
public class JinjaTemplateTests
{
    static readonly Dictionary<string, object?> Chat = new()
    {
        ["messages"] = new List<object?>
        {
            new Dictionary<string, object?> { ["role"] = "system", ["content"] = "  Be brief.  " },
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "Hi" },
            new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "Hello" },
        },
        ["bos_token"] = "<s>",
        ["add_generation_prompt"] = true,
    };

    static string Render(string template, Dictionary<string, object?>? variables = null) => JinjaTemplate.Parse(template, "t.jinja").Render(variables ?? Chat);

    [Theory]
    [InlineData("{% for m in messages %}{{ loop.index0 }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %},{% endfor %}", "0F,1,2L,")]
    [InlineData("{% for m in messages %}{{ loop.index }}/{{ loop.length }}{% endfor %}", "1/32/33/3")]
    [InlineData("{{ messages[0]['content'] | trim }}|{{ messages[1].content | upper }}{{ messages[2]['content'] | lower }}|{{ messages | length }}", "Be brief.|HIhello|3")]
    [InlineData("{{ messages[-1].role }} {{ messages[5] is defined }} {{ nothing is not defined }} {{ none is none }}", "assistant False True True")]
    [InlineData("{{ bos_token + 'x' ~ 7 ~ true }}", "<s>x7True")]
    [InlineData("{{ 'a' if 'ss' in 'assistant' and not ('q' in 'assistant') else 'b' }}{{ 'y' if 'user' not in ['user'] or false else 'n' }}", "an")]
    [InlineData("{% if messages[0].role == 'user' %}u{% elif messages[0].role != 'system' %}x{% else %}s{% endif %}{{ 3 > 2 }}{{ 'b' <= 'a' }}", "sTrueFalse")]
    [InlineData("{% set n = 1 %}{% for m in messages %}{% set n = n + 1 %}{{ n }}{% endfor %}{{ n }}", "2221")] // a loop's set stays in its pass
    [InlineData("{{ messages[1]['content'].upper() }}{{ '  x '.strip() }}{{ 'Hi' == messages[1].content }}", "HIxTrue")]
    [InlineData("{{ \"it's\" 'a\\n' }}{# a comment #}{{ [1, 2] | length }}", "it'sa\n2")]
    public void ExpressionsAndStatementsRenderAsJinja(string template, string want) => Assert.Equal(want, Render(template));

    [Fact]
    public void SelectattrKeepsTheMatchingItemsInOrder()
    {
        var vars = new Dictionary<string, object?>
        {
            ["content"] = new List<object?>
            {
                new Dictionary<string, object?> { ["type"] = "text", ["text"] = "a" },
                new Dictionary<string, object?> { ["type"] = "image" },
                new Dictionary<string, object?> { ["type"] = "text", ["text"] = "b" },
            },
        };
        Assert.Equal("ab|1", Render("{% for c in content | selectattr('type', 'equalto', 'text') %}{{ c.text }}{% endfor %}|{{ content | selectattr('text') | selectattr('type', 'equalto', 'image') | length + 1 }}", vars));
    }

    [Fact]
    public void WhitespaceControlTrimsAsTransformersEnvironmentDoes()
    {
        // lstrip_blocks removes a statement's indentation, trim_blocks the newline after it; {{ }} keeps both; '-' strips all whitespace on its side.
        string template = "A\n  {% if true %}\n    B {{ 'c' }}  \n  {% endif %}\nD  {%- if true -%}  \n\n E{# x #}\n{{- ' F' }}{% endif %}";
        Assert.Equal("A\n    B c  \nDE F", Render(template));
        Assert.Equal("x  y", Render("x  {% if true %}y{% endif %}")); // text before the tag on its line: not stripped
        Assert.Equal("x\n  y", Render("x\n  {%+ if true %}y{% endif %}")); // '+' keeps the indentation
    }

    [Fact]
    public void RaiseExceptionIsAnErrorNamingTheFileAndMessage()
    {
        var e = Assert.Throws<SieveFormatException>(() => Render("{% if messages[1].role != 'assistant' %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}"));
        Assert.Equal("t.jinja: chat template: the template raised an error: Only user and assistant roles are supported!", e.Message);
    }

    [Theory]
    [InlineData("a\n{% macro m() %}x{% endmacro %}", "line 2: the statement {% macro %} is not supported")]
    [InlineData("{{ messages | tojson }}", "line 1: the filter 'tojson' is not supported")]
    [InlineData("{% set ns = namespace(x=0) %}", "line 1: keyword arguments (x=…) are not supported")]
    [InlineData("{{ namespace() }}", "the function namespace() is not supported")]
    [InlineData("{{ 2 * 3 }}", "line 1: the operator '*' is not supported")]
    [InlineData("{% for k, v in x %}{% endfor %}", "line 1: {% for k, v in x %}: only \"for name in expression\" is supported")]
    [InlineData("{% for m in messages if m %}{% endfor %}", "line 1: 'if' in a for loop is not supported")]
    [InlineData("{% if true %}x", "line 1: {% if true %} is not closed with {% endif %}")]
    [InlineData("{{ messages[0:1] }}", "line 1: slices [a:b] are not supported")]
    [InlineData("{{ 'x'.title() }}", "the method call .title() is not supported")]
    [InlineData("{{ messages is mapping }}", "line 1: the test 'is mapping' is not supported")]
    [InlineData("{{ x }", "line 1: the tag opened with \"{{\" is not closed with \"}}\"")]
    [InlineData("{{ messages }}", "printing a list is not supported")]
    public void UnsupportedConstructsAreOneLineErrorsNamingThemAndTheFile(string template, string what)
    {
        var e = Assert.Throws<SieveFormatException>(() => Render(template));
        Assert.StartsWith("t.jinja: chat template: ", e.Message);
        Assert.Contains(what, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}

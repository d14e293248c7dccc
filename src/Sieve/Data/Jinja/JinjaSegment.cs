namespace Sieve.Data.Jinja;

/// <summary>What a piece of a template is: literal text, an output tag (<c>{{ … }}</c>) or a statement tag (<c>{% … %}</c>).</summary>
internal enum JinjaSegmentKind { Text, Output, Statement }

/// <summary>One piece of a template after whitespace control, with the line it starts on (for errors).</summary>
/// <param name="Kind">Text, output or statement.</param>
/// <param name="Content">The text itself, or the tag's inside without its delimiters and whitespace-control marks.</param>
/// <param name="Line">The 1-based line the piece starts on.</param>
internal readonly record struct JinjaSegment(JinjaSegmentKind Kind, string Content, int Line);

using System.Numerics.Tensors;
using Sieve.Nn;
using Sieve.Reduction;

namespace Sieve.Models;

/// <summary>
/// ViLT's input sequence (Hugging Face <c>ViltEmbeddings</c>): [text ; image CLS ; patches] as one token set.
/// Text: LayerNorm(word + position + token type 0) + modality type 0. Image: the patch embeddings plus
/// the square position grid resized to the image's own patch grid (bilinear, align_corners=True), the
/// image CLS with position 0, all + modality type 1.
/// </summary>
internal sealed class ViltEmbeddings
{
    readonly EmbeddingTable _words;
    readonly float[] _positions, _textType, _modalityTypes, _cls, _imagePositions;
    readonly Nn.LayerNorm _textNorm;
    readonly PatchEmbedding _patches;
    readonly ViltConfig _config;

    public ViltEmbeddings(ViltConfig config, CheckpointReader w, ViltLayout layout)
    {
        _config = config;
        int d = config.Width;
        _words = w.Embedding(layout.Words, config.VocabSize, d, w.Precision);
        _positions = w.Tensor(layout.TextPositions, config.MaxPositions, d);
        // Sieve feeds token type 0 only (ViLT's processor does too): keep that row.
        _textType = w.Tensor(layout.TextTokenTypes, config.TypeVocabSize, d)[..d];
        _textNorm = w.LayerNorm(layout.TextNorm, d, config.LayerNormEps);
        _patches = w.PatchEmbedding(layout.PatchEmbedding, d, 3, config.PatchSize, bias: true);
        _cls = w.Tensor(layout.ClassToken, 1, 1, d);
        _imagePositions = w.Tensor(layout.ImagePositions, 1, 1 + config.Grid * config.Grid, d);
        // Rows 0 (text) and 1 (image) are used; a third (NLVR2's second image) never is.
        _modalityTypes = w.Tensor(layout.ModalityTypes, config.ModalityTypes, d)[..(2 * d)];
    }

    /// <summary>Patches along each side of a <paramref name="height"/> × <paramref name="width"/> image (the stride-p conv floors).</summary>
    public (int Rows, int Columns) PatchGrid(int height, int width)
    {
        int p = _config.PatchSize, rows = height / p, columns = width / p;
        if (rows == 0 || columns == 0)
            throw new ArgumentException($"a {width}×{height} image is smaller than one {p}×{p} patch");
        if (_config.MaxImageLength > 0 && rows * columns > _config.MaxImageLength)
            throw new ArgumentException(
                $"a {width}×{height} image has {rows * columns} patches, more than max_image_length {_config.MaxImageLength}; Hugging Face would keep a random subset, Sieve refuses");
        return (rows, columns);
    }

    /// <summary>
    /// The token set of one pair: the text tokens the mask keeps, in order, then the image CLS and the
    /// patches in row-major order. The text CLS (index 0) and image CLS are protected; the text CLS guides
    /// (it is pooled). Room for one more token.
    /// </summary>
    public TokenSet Embed(ViltInput input)
    {
        int d = _config.Width;
        var ids = input.Ids;
        if (ids.Length > _config.MaxPositions)
            throw new ArgumentException($"{ids.Length} tokens exceed the model's {_config.MaxPositions} text positions (max_position_embeddings)");
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)_config.VocabSize)
                throw new ArgumentException($"token id {ids[i]} at position {i} is outside the vocabulary of {_config.VocabSize}");
        var (rows, columns) = PatchGrid(input.Height, input.Width);
        int text = input.TextTokens, patches = rows * columns, count = text + 1 + patches;
        var modalities = new Modality[count];
        modalities.AsSpan(0, text).Fill(Modality.Text);
        modalities.AsSpan(text).Fill(Modality.Image);
        var tokens = new TokenSet(modalities, d, count + 1);
        var x = tokens.Features;

        for (int i = 0, row = 0; i < ids.Length; i++)
        {
            if (input.AttentionMask is { } mask && mask[i] == 0) continue;
            int id = ids[i];
            // The original position i, not the row: padding left out changes no kept token's position.
            var y = x.Slice(row++ * d, d);
            _words.AddRow(id, _positions.AsSpan(i * d, d), y);
            TensorPrimitives.Add(y, _textType, y);
        }
        _textNorm.Forward(x, x, text);
        var textType = _modalityTypes.AsSpan(0, d);
        for (int i = 0; i < text; i++) TensorPrimitives.Add(x.Slice(i * d, d), textType, x.Slice(i * d, d));

        var image = x[(text * d)..];
        _cls.CopyTo(image);
        // Pixels past the last whole patch (a side not a multiple of p) are never read, as the conv does.
        _patches.Forward(input.Pixels, input.Height, input.Width, image[d..]);
        TensorPrimitives.Add(image[..d], _imagePositions.AsSpan(0, d), image[..d]);
        AddInterpolatedPositions(image[d..], rows, columns);
        var imageType = _modalityTypes.AsSpan(d, d);
        for (int i = 0; i <= patches; i++) TensorPrimitives.Add(image.Slice(i * d, d), imageType, image.Slice(i * d, d));

        tokens.Protect(0);
        tokens.Protect(text);
        tokens.Guide = 0;
        return tokens;
    }

    /// <summary>Multiply-adds of embedding <paramref name="patches"/> patches (the lookups and sums are not counted).</summary>
    public long MacsFor(int patches) => _patches.MacsFor(patches);

    /// <summary>
    /// Adds the G × G patch position grid, resized to <paramref name="rows"/> × <paramref name="columns"/>
    /// as PyTorch's <c>interpolate(mode="bilinear", align_corners=True)</c> does (the grid's corners map onto
    /// the image's corner patches), to the patch rows of <paramref name="x"/>.
    /// </summary>
    void AddInterpolatedPositions(Span<float> x, int rows, int columns)
    {
        int d = _config.Width, g = _config.Grid;
        var grid = _imagePositions.AsSpan(d); // [G·G, D] after position 0
        if (rows == g && columns == g)
        {
            TensorPrimitives.Add(x, grid, x); // the identity resize, exactly
            return;
        }
        var (y0, y1, wy) = Taps(g, rows);
        var (x0, x1, wx) = Taps(g, columns);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                var y = x.Slice((r * columns + c) * d, d);
                float a = (1 - wy[r]) * (1 - wx[c]), b = (1 - wy[r]) * wx[c], e = wy[r] * (1 - wx[c]), f = wy[r] * wx[c];
                TensorPrimitives.MultiplyAdd(grid.Slice((y0[r] * g + x0[c]) * d, d), a, y, y);
                TensorPrimitives.MultiplyAdd(grid.Slice((y0[r] * g + x1[c]) * d, d), b, y, y);
                TensorPrimitives.MultiplyAdd(grid.Slice((y1[r] * g + x0[c]) * d, d), e, y, y);
                TensorPrimitives.MultiplyAdd(grid.Slice((y1[r] * g + x1[c]) * d, d), f, y, y);
            }
    }

    /// <summary>For each of <paramref name="size"/> outputs: the two source indices and the weight of the second.</summary>
    static (int[] Low, int[] High, float[] Weight) Taps(int source, int size)
    {
        double scale = size > 1 ? (source - 1.0) / (size - 1) : 0;
        var (low, high, weight) = (new int[size], new int[size], new float[size]);
        for (int i = 0; i < size; i++)
        {
            double at = scale * i;
            low[i] = Math.Min((int)at, source - 1);
            high[i] = Math.Min(low[i] + 1, source - 1);
            weight[i] = (float)(at - low[i]);
        }
        return (low, high, weight);
    }
}

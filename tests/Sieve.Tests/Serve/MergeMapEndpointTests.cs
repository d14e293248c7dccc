using System.Buffers.Binary;
using System.Net;
using Sieve.Cli.Commands;
using Sieve.Data;
using Sieve.Models;
using Sieve.Reduction;

namespace Sieve.Tests.Serve;

/// <summary><c>POST /v1/mergemap</c>: the picture <c>sieve visualize</c> draws, as a PNG data URL; a 400 where it cannot be drawn.</summary>
public sealed class MergeMapEndpointTests(ServeModels models) : IClassFixture<ServeModels>
{
    [Fact]
    public async Task ReturnsVisualizesPictureForTheRequestsReducer()
    {
        await using var server = await ServeHarness.StartAsync(models.Vit.Directory);
        var (status, body, _) = await server.PostAsync("/v1/mergemap", new { image = ServeHarness.Png(seed: 4), reducer = "tome:r=3" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("tome:r=3", body.GetProperty("reducer").GetString());
        Assert.Equal(17 - 2 * 3, body.GetProperty("tokens_kept").GetInt32()); // ToMe r=3 over the tiny ViT's 2 blocks
        string url = body.GetProperty("image").GetString()!;
        Assert.StartsWith("data:image/png;base64,", url);
        var png = Convert.FromBase64String(url["data:image/png;base64,".Length..]);

        // The input panel and one per drawn layer (the tiny ViT's blocks 1 and 2), each 32 px at 2× with 12 px gaps, under a 46 px header.
        Assert.Equal((3 * (64 + 12) + 12, 46 + 64 + 12), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
        var encoder = ModelFolder.Load(models.Vit.Directory);
        var expected = MergeMapPicture.Draw(encoder, ReducerSpec.Parse("tome:r=3"), null, ImageDecoder.Decode(ServeHarness.PngBytes(seed: 4), "seed-4.png"), [1, 2]);
        Assert.Equal(expected, png);
    }

    [Fact]
    public async Task RefusesAModelWithoutAnImageTowerAndAnUnfittingReducer()
    {
        await using (var server = await ServeHarness.StartAsync(models.Vilt.Directory))
        {
            var (status, body, _) = await server.PostAsync("/v1/mergemap", new { image = ServeHarness.Png(seed: 4) });
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("/v1/mergemap needs an image encoder", body.GetProperty("error").GetProperty("message").GetString());
        }
        await using (var server = await ServeHarness.StartAsync(models.Vit.Directory))
        {
            var (status, body, _) = await server.PostAsync("/v1/mergemap", new { image = ServeHarness.Png(seed: 4), reducer = "tome:r=9" });
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("reducer", body.GetProperty("error").GetProperty("param").GetString());
        }
    }
}

using Sieve.Reduction;

namespace Sieve.Tests.Reduction;

public class GuidanceTensorsTests
{
    [Fact]
    public void TheNamesAreTheFileFormatTheReadmeDocuments()
    {
        Assert.Equal("crossget.vision.offsets", GuidanceTensors.CrossTokenOffsets("vision"));
        Assert.Equal("crossget.text.offsets", GuidanceTensors.CrossTokenOffsets("text"));
        Assert.Equal("madtp.tokens", GuidanceTensors.MagTokens);
        Assert.Equal("madtp.text.maps", GuidanceTensors.MagMaps("text"));
        Assert.Equal("crossget.<tower>.offsets, madtp.tokens, madtp.<tower>.maps", GuidanceTensors.Expected);
    }

    [Theory]
    [InlineData("crossget.vision.offsets", true)]
    [InlineData("crossget.fusion.offsets", true)]
    [InlineData("madtp.tokens", true)]
    [InlineData("madtp.vision.maps", true)]
    [InlineData("crossget.offsets", false)] // no tower: prefix and suffix overlap
    [InlineData("crossget..offsets", false)]
    [InlineData("madtp.maps", false)]
    [InlineData("madtp.vision.tokens", false)]
    [InlineData("crossget.vision.maps", false)]
    [InlineData("blocks.0.attn.qkv.weight", false)]
    public void OnlyGuidanceNamesAreGuidance(string name, bool guidance) => Assert.Equal(guidance, GuidanceTensors.IsGuidance(name));
}

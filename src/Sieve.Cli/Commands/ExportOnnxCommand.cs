using System.CommandLine;
using Sieve.Export;

namespace Sieve.Cli.Commands;

/// <summary>
/// <c>sieve export-onnx --model DIR --out FILE [--tower vision|text] [--precision fp32|int8]</c>: the dense model as a
/// standard ONNX file (opset 17, float32 weights; with int8, the blocks' linear layers hold Sieve's int8 weights in a
/// dynamically quantized graph). A ViT gives its logits; a CLIP model one tower per file, the image tower unless
/// <c>--tower text</c> is given.
/// </summary>
internal static class ExportOnnxCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var output = new Option<string>("--out", "-o") { Description = "The .onnx file to write (its folder must exist)", Required = true };
        var tower = new Option<string>("--tower")
        {
            Description = "CLIP only: vision (pixel_values → image_embeds) or text (input_ids → text_embeds, pooled at the first end-of-text)",
            DefaultValueFactory = _ => "vision",
        }.AcceptOnlyFromAmong("vision", "text");
        var precision = CliOptions.Precision();
        precision.Description = "Block linear layers in fp32 (default) or int8: Sieve's int8 weights and per-channel scales as DynamicQuantizeLinear + MatMulInteger (needed for a `sieve quantize`d folder)";
        var command = new Command("export-onnx", $"Export the dense model as ONNX (opset {OnnxExporter.Opset}) for other runtimes") { model, output, tower, precision };
        command.SetAction(async (r, cancellationToken) =>
        {
            string path = r.GetValue(output)!, dir = await CliOptions.ResolveModelAsync(r.GetValue(model)!, cancellationToken: cancellationToken);
            OutputGuard.Check("--out", path, [], [dir]);
            var info = OnnxExporter.Export(dir, path, r.GetValue(tower) == "text" ? ClipTower.Text : ClipTower.Vision, r.GetValue(precision));
            r.InvocationConfiguration.Output.WriteLine(
                $"wrote {path} ({info.Bytes / 1048576.0:F1} MiB): {info.Graph}, opset {OnnxExporter.Opset}, {CliOptions.PrecisionName(r.GetValue(precision))}, {info.Nodes} nodes, {info.Parameters:N0} parameters");
            r.InvocationConfiguration.Output.WriteLine($"  {info.Signature}");
            return 0;
        });
        return command;
    }
}

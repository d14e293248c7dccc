namespace Sieve.Export;

/// <summary>What an ONNX export wrote.</summary>
/// <param name="Graph">Graph name: <c>vit</c>, <c>clip_vision</c>, <c>clip_text</c>, <c>vilt</c> or <c>blip_match</c>.</param>
/// <param name="Signature">Inputs → outputs with names, types and shapes, e.g. <c>pixel_values float32 [batch, 3, 224, 224] → logits float32 [batch, 1000]</c>.</param>
/// <param name="Nodes">Operator nodes in the graph.</param>
/// <param name="Parameters">Weights taken from the checkpoint (elements, all float32 in the file).</param>
/// <param name="Bytes">Size of the ONNX file.</param>
public sealed record OnnxExportInfo(string Graph, string Signature, int Nodes, long Parameters, long Bytes);

namespace Sieve.Models;

/// <summary>
/// A tower whose output is a norm and a projection of one pooled token (a ViT's final norm and class head, CLIP's
/// last norm and projection into the joint space): what guidance fitting reads a cross token through.
/// </summary>
internal interface IReadoutTower : ITower
{
    /// <summary>The norm and projection, unpacked.</summary>
    TokenReadout Readout { get; }
}

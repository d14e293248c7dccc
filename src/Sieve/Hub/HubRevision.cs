namespace Sieve.Hub;

/// <summary>A repository at one commit, as the Hub's model API lists it.</summary>
/// <param name="Commit">The full commit hash the revision resolved to.</param>
/// <param name="Files">The repository's file names (<c>siblings[].rfilename</c>).</param>
public sealed record HubRevision(string Commit, IReadOnlyList<string> Files);

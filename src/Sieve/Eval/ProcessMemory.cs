using System.Diagnostics;

namespace Sieve.Eval;

/// <summary>This process's resident memory (on Linux, VmRSS and its high-water mark VmHWM).</summary>
internal static class ProcessMemory
{
    /// <summary>Resident bytes now.</summary>
    public static long Current => Process.GetCurrentProcess().WorkingSet64;

    /// <summary>Most resident bytes so far (since the last <see cref="TryResetPeak"/>).</summary>
    public static long Peak => Process.GetCurrentProcess().PeakWorkingSet64;

    /// <summary>
    /// Resets the peak to the current resident size, so that a later phase's peak can be told apart from an
    /// earlier one. Linux only (writing 5 to /proc/self/clear_refs); false where that is not possible.
    /// </summary>
    public static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

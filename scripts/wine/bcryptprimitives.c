/* TEST-ONLY shim, never shipped: Debian's Wine 8.0 has no bcryptprimitives.dll, whose ProcessPrng Rust's standard
 * library imports on Windows, so a .exe built by Rust does not start under it. Real Windows (10 and later) has the
 * DLL. This one forwards ProcessPrng to advapi32's SystemFunction036 (RtlGenRandom), which Wine has. Built with
 * mingw-w64 and placed beside the .exe in a test directory only, by scripts/wine-test.sh. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x7FFFFFFF ? 0x7FFFFFFF : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

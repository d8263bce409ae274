/*
 * A stand-in for Windows' bcryptprimitives.dll, for running the Windows test binaries under
 * Wine 8.0 (Debian 12). Rust's standard library (1.78 and later) takes its random numbers from
 * ProcessPrng in bcryptprimitives.dll, which Wine 8.0 does not have, so every binary would fail
 * to start. This exports ProcessPrng on top of RtlGenRandom (advapi32's SystemFunction036),
 * which Wine has. Built and placed beside the test binaries by scripts/test-windows.sh; never
 * shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

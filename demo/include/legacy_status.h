/*
 * legacy_status.h - a status block from an older revision of the protocol.
 *
 * It is in the demo on purpose: it still uses `unsigned long` and `wchar_t`, which
 * MSVC (the guest driver) and GCC (the host backend) size differently, so GPU-PV Dev
 * Kit flags it. Open it to see the warnings, and the CodeLens saying where the two
 * sides part ways.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

typedef struct LegacyStatusBlock {
    uint32_t      magic;
    unsigned long sequence;     /* 4 bytes on Windows, 8 on Linux */
    wchar_t       adapter[16];  /* 2 bytes each on Windows, 4 on Linux */
    uint64_t      last_fence;
} LegacyStatusBlock;

/* Written for the guest only: holds on msvc-x64, fails on sysv-x86_64. */
_Static_assert(sizeof(LegacyStatusBlock) == 48, "LegacyStatusBlock must stay 48 bytes");

/*
 * The hardware bar for the protocol engine's index pass: the same walk in C, compiled with
 * gcc -O2. It walks a ring image (records back to back, u32 opcode at 0 and u32 total size
 * at 4) held in memory, timing the walk alone, or a pcapng capture (Enhanced Packet Blocks)
 * read from the file 4 MiB at a time as the engine reads it, timing the reads and the walk;
 * both fill the same columnar arrays as extension/protocol/trace/traceIndex.ts.
 *
 *   ringWalk ring <file> <from> <to>     prints "<records> <nanoseconds>"
 *   ringWalk pcapng <file>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint8_t *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(*size);
    if (!data || fread(data, 1, *size, f) != *size) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    fclose(f);
    return data;
}

static uint32_t u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: ringWalk ring FILE FROM TO | ringWalk pcapng FILE\n"); return 2; }
    size_t size;
    /* The ring is an image in memory; the capture is read while walking, below. */
    uint8_t *data = strcmp(argv[1], "ring") == 0 ? read_file(argv[2], &size) : NULL;
    if (!data) {
        FILE *f = fopen(argv[2], "rb");
        if (!f) { perror(argv[2]); return 2; }
        fseek(f, 0, SEEK_END);
        size = (size_t)ftell(f);
        fclose(f);
    }
    size_t capacity = size / 16 + 16;
    double *offsets = malloc(capacity * sizeof *offsets);
    uint32_t *sizes = malloc(capacity * sizeof *sizes);
    uint32_t *opcodes = malloc(capacity * sizeof *opcodes);
    double *times = malloc(capacity * sizeof *times);
    size_t count = 0;
    double start = now_ns();
    if (strcmp(argv[1], "ring") == 0 && argc == 5) {
        uint64_t from = strtoull(argv[3], NULL, 10), to = strtoull(argv[4], NULL, 10);
        size_t position = (size_t)(from % size);
        uint64_t remaining = to - from;
        uint8_t header[16];
        while (remaining > 0) {
            const uint8_t *h = data + position;
            if (position + 16 > size) {  /* a header straddling the end: copy it */
                for (int k = 0; k < 16; k++) header[k] = data[(position + (size_t)k) % size];
                h = header;
            }
            uint32_t length = u32(h + 4), opcode = u32(h);
            if (length < 16 || length > remaining) { fprintf(stderr, "bad record at %zu\n", position); break; }
            offsets[count] = (double)position; sizes[count] = length; opcodes[count] = opcode; times[count] = 0; count++;
            position = (position + length) % size;
            remaining -= length;
        }
    } else if (strcmp(argv[1], "pcapng") == 0) {
        enum { CHUNK = 4 << 20 };
        FILE *f = fopen(argv[2], "rb");
        if (!f) { perror(argv[2]); return 2; }
        uint8_t *buffer = malloc(2 * CHUNK);
        size_t held = 0, consumed = 0;
        uint64_t base = 0;
        int first = 1;
        for (;;) {
            size_t n = fread(buffer + held, 1, CHUNK, f);
            held += n;
            size_t at = 0;
            while (at + 12 <= held) {
                uint32_t type = u32(buffer + at), length = u32(buffer + at + 4);
                if (length < 12 || length > CHUNK) { n = 0; break; }
                if (at + length > held) break;  /* the rest of this block comes with the next read */
                /* Empty packets are in-band events (a fence completed), not rows. */
                if (type == 6 && u32(buffer + at + 8) == 0 && u32(buffer + at + 20) != 0) {
                    uint32_t captured = u32(buffer + at + 20);
                    uint64_t time = ((uint64_t)u32(buffer + at + 12) << 32) | u32(buffer + at + 16);
                    if (first) { base = time; first = 0; }
                    offsets[count] = (double)(consumed + at + 28); sizes[count] = captured; opcodes[count] = u32(buffer + at + 28);
                    times[count] = (double)(time - base); count++;
                }
                at += length;
            }
            memmove(buffer, buffer + at, held - at);
            held -= at;
            consumed += at;
            if (n == 0) break;
        }
        fclose(f);
    } else {
        fprintf(stderr, "usage: ringWalk ring FILE FROM TO | ringWalk pcapng FILE\n");
        return 2;
    }
    double elapsed = now_ns() - start;
    /* Use the arrays so the walk cannot be optimised away. */
    uint64_t check = 0;
    for (size_t i = 0; i < count; i += 4096) check += opcodes[i] + sizes[i] + (uint64_t)offsets[i] + (uint64_t)times[i];
    printf("%zu %.0f %llu\n", count, elapsed, (unsigned long long)check);
    return 0;
}

/* The C symbols Embedded Swift and clang expect from a C library, kept to the minimum: memory
   primitives, the allocator entry points (the heap itself is Swift: Kernel/Memory/Heap.swift),
   putchar for print(), random bytes for Hasher seeds, and the stack protector. */
#include <stdint.h>
#include <stddef.h>
#include "cpu.h"

/* Copies and fills move 64 bytes per iteration through general registers, then 8, then single bytes.
   QEMU's TCG emulates a string instruction one iteration at a time: measured in this kernel under TCG,
   10 MiB took 30 ms with rep movsq and 6.5 ms with this loop (and rep movsb is eight times slower still).
   On hardware the loop costs little against ERMSB's rep movsb. clang is told -ffreestanding and
   -fno-builtin, so it does not turn these loops back into calls to themselves. */
typedef uint64_t unaligned_word __attribute__((may_alias, aligned(1)));

__attribute__((noinline)) static void copy_forward(uint8_t *d, const uint8_t *s, size_t n) {
    while (n >= 64) {
        const unaligned_word *sw = (const unaligned_word *)s;
        unaligned_word *dw = (unaligned_word *)d;
        uint64_t w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3], w4 = sw[4], w5 = sw[5], w6 = sw[6], w7 = sw[7];
        dw[0] = w0; dw[1] = w1; dw[2] = w2; dw[3] = w3; dw[4] = w4; dw[5] = w5; dw[6] = w6; dw[7] = w7;
        d += 64; s += 64; n -= 64;
    }
    while (n >= 8) { *(unaligned_word *)d = *(const unaligned_word *)s; d += 8; s += 8; n -= 8; }
    while (n--) *d++ = *s++;
}

/* For an overlapping move to a higher address: the same steps from the end down. */
__attribute__((noinline)) static void copy_backward(uint8_t *d, const uint8_t *s, size_t n) {
    d += n; s += n;
    while (n >= 64) {
        d -= 64; s -= 64; n -= 64;
        const unaligned_word *sw = (const unaligned_word *)s;
        unaligned_word *dw = (unaligned_word *)d;
        uint64_t w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3], w4 = sw[4], w5 = sw[5], w6 = sw[6], w7 = sw[7];
        dw[7] = w7; dw[6] = w6; dw[5] = w5; dw[4] = w4; dw[3] = w3; dw[2] = w2; dw[1] = w1; dw[0] = w0;
    }
    while (n >= 8) { d -= 8; s -= 8; n -= 8; *(unaligned_word *)d = *(const unaligned_word *)s; }
    while (n--) *--d = *--s;
}

void *memset(void *dst, int c, size_t n) {
    uint8_t *d = dst;
    uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;
    while (n >= 64) {
        unaligned_word *dw = (unaligned_word *)d;
        dw[0] = pattern; dw[1] = pattern; dw[2] = pattern; dw[3] = pattern;
        dw[4] = pattern; dw[5] = pattern; dw[6] = pattern; dw[7] = pattern;
        d += 64; n -= 64;
    }
    while (n >= 8) { *(unaligned_word *)d = pattern; d += 8; n -= 8; }
    while (n--) *d++ = (uint8_t)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
    copy_forward(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s || d >= s + n) copy_forward(d, s, n);
    else copy_backward(d, s, n);
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* Allocation failure inside the Swift runtime is fatal: kernel_heap_allocate prints a panic report
   naming the size and stops, so these never return NULL. */
void *kernel_heap_allocate(size_t size, size_t alignment);
void kernel_heap_free(void *p);
int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return 22; /* EINVAL */
    *out = kernel_heap_allocate(size, alignment);
    return 0;
}
void *malloc(size_t size) { return kernel_heap_allocate(size, 16); }
void free(void *p) { if (p) kernel_heap_free(p); }

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* Swift's print() writes through putchar; Kernel/Console.swift owns the serial port. */
void console_put_byte(uint8_t byte);
int putchar(int c) {
    console_put_byte((uint8_t)c);
    return c;
}

/* Seeds for Swift's Hasher (Dictionary/Set). Not secret material: hash flooding needs an unknown seed,
   so the TSC at boot, mixed, is enough here. */
static uint64_t random_state;
void arc4random_buf(void *buf, size_t n) {
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        random_state += 0x9E3779B97F4A7C15ULL ^ cpu_rdtsc();
        uint64_t z = random_state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        p[i] = (uint8_t)(z ^ (z >> 31));
    }
}

/* Stack protector: the guard is re-seeded from the TSC at boot before any deep call chain. */
uintptr_t __stack_chk_guard = 0x2d6f5e4a3b2c1d0eULL;
void runtime_seed_stack_guard(uint64_t seed) {
    __stack_chk_guard = seed ^ 0x2d6f5e4a3b2c1d0eULL;
    random_state = seed;
}
void kernel_stack_smashed(void);
__attribute__((noreturn)) void __stack_chk_fail(void) {
    kernel_stack_smashed();
    cpu_halt_forever();
    __builtin_unreachable();
}

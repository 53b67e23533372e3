/* The C symbols Embedded Swift and clang expect from a C library, kept to the minimum: memory
   primitives, the allocator entry points (the heap itself is Swift: Kernel/Memory/Heap.swift),
   putchar for print(), random bytes for Hasher seeds, and the stack protector. */
#include <stdint.h>
#include <stddef.h>
#include "cpu.h"

/* Eight bytes per iteration, then the tail byte by byte. Hardware with ERMSB would be as fast with rep
   movsb/stosb alone, but QEMU's TCG emulates a string instruction one iteration at a time, so the
   quadword forms move packet payloads eight times faster there, and cost nothing on hardware. */
void *memset(void *dst, int c, size_t n) {
    uint8_t *d = dst;
    size_t words = n >> 3, tail = n & 7;
    uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(c) : "memory");
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
    void *d = dst;
    size_t words = n >> 3, tail = n & 7;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) :: "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) :: "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s || d >= s + n) return memcpy(dst, src, n);
    /* overlapping with dst above src: copy backwards */
    d += n - 1; s += n - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
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

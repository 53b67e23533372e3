/* The CPU instructions Swift cannot express: port I/O, control registers, MSRs, interrupt flag. Each is
   a one-line inline function so Swift calls compile to the bare instruction. */
#pragma once
#include <stdint.h>
#include <stddef.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t cpu_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]) {
    __asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "a"(leaf), "c"(sub));
}
/* One hardware random word (RDRAND; check CPUID.1:ECX bit 30 first); 0 when the CPU had none ready. */
static inline int cpu_rdrand(uint64_t *out) {
    unsigned char ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) :: "cc");
    return ok;
}
static inline uint64_t cpu_rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t cpu_read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t cpu_read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void cpu_write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }

static inline void cpu_load_idt(const void *base, uint16_t limit) {
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = { limit, (uint64_t)base };
    __asm__ volatile("lidt %0" :: "m"(idtr));
}
static inline void cpu_disable_interrupts(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_enable_interrupts(void) { __asm__ volatile("sti" ::: "memory"); }
/* Enables interrupts and halts in one step: `sti` takes effect after the next instruction, so an interrupt
   that became pending before this point wakes the hlt instead of being lost. Interrupts are off again on
   return, so the main loop never runs protocol code with interrupts enabled. */
static inline void cpu_wait_for_interrupt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cpu_halt_forever(void) { for (;;) __asm__ volatile("cli; hlt"); }
/* A deliberate invalid-opcode fault (2 bytes: the handler may skip it), used by the exception self-test. */
static inline void cpu_raise_invalid_opcode(void) { __asm__ volatile("ud2" ::: "memory"); }
/* Compiler and CPU ordering for device memory shared with a NIC or disk (x86 is TSO; a compiler barrier
   plus mfence where stores must be globally visible before a doorbell write). */
static inline void cpu_memory_barrier(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline void compiler_barrier(void) { __asm__ volatile("" ::: "memory"); }

/* Symbols from the linker script and the boot stub. */
extern char __kernel_start[], __kernel_end[], __text_end[];
extern char isr_stubs[];     /* 256 entry stubs, 16 bytes apart (Boot/isr.S) */
static inline uintptr_t isr_stub_address(unsigned vector) { return (uintptr_t)isr_stubs + 16 * (uintptr_t)vector; }
extern char boot_stack_bottom[], boot_stack_top[];
static inline uintptr_t kernel_end_address(void) { return (uintptr_t)__kernel_end; }
static inline uintptr_t kernel_start_address(void) { return (uintptr_t)__kernel_start; }
static inline uintptr_t kernel_text_end_address(void) { return (uintptr_t)__text_end; }   /* the profiler's range */

/* Set by runtime.c from the TSC at boot; read by Swift's stack protector. */
void runtime_seed_stack_guard(uint64_t seed);

/* Boot/runtime.c's memory primitives, declared for the runtime self-test. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

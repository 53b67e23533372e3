/* PVH entry. QEMU's `-kernel` finds the XEN_ELFNOTE_PHYS32_ENTRY note and enters _start32 in 32-bit
   protected mode with paging off, flat segments, and %ebx = physical address of hvm_start_info.
   From there: clear BSS, build identity-mapped page tables for the low 4 GiB (2 MiB pages; the top
   GiB, where the PCI hole, IOAPIC and LAPIC live, is mapped uncached), enter long mode, set up the
   boot stack, and call kmain(startInfo) in Swift. Memory above 4 GiB is mapped later by the kernel. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define CR0_PE   (1 << 0)
#define CR0_MP   (1 << 1)
#define CR0_EM   (1 << 2)
#define CR0_WP   (1 << 16)
#define CR0_PG   (1 << 31)
#define CR4_PAE  (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define PTE_P    0x1
#define PTE_RW   0x2
#define PTE_PWT  0x8
#define PTE_PCD  0x10
#define PTE_PS   0x80

    /* QEMU reads this note; the section must stay 4-byte aligned (see linker.ld). */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 4
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .long _start32
    .balign 4

    .section .text.boot, "ax", @progbits
    .code32
    .global _start32
_start32:
    cli
    cld
    mov %ebx, %esi                  /* keep the hvm_start_info pointer across the setup */

    mov $__bss_start, %edi          /* BSS holds the page tables and stack: clear it first */
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $boot_pdpt, %eax            /* PML4[0] -> PDPT */
    or $(PTE_P | PTE_RW), %eax
    mov %eax, boot_pml4

    mov $boot_pd, %eax              /* PDPT[0..3] -> four page directories (one per GiB) */
    or $(PTE_P | PTE_RW), %eax
    xor %ecx, %ecx
1:  mov %eax, boot_pdpt(,%ecx,8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jne 1b

    mov $boot_pd, %edi              /* 2048 entries x 2 MiB = identity map of 0..4 GiB */
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P | PTE_RW | PTE_PS), %eax
    cmp $1536, %ecx                 /* 3..4 GiB: device memory, never cached */
    jb 3f
    or $(PTE_PCD | PTE_PWT), %eax
3:  mov %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jne 2b

    lgdt boot_gdt_ptr

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PE | CR0_MP | CR0_EM | CR0_WP | CR0_PG), %eax   /* EM: any x87/SSE use faults (#UD/#NM): the kernel is soft-float */
    mov %eax, %cr0
    ljmp $0x08, $start64

    .code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    lea boot_stack_top(%rip), %rsp
    xor %ebp, %ebp
    mov %esi, %edi                  /* kmain(startInfo), zero-extended */
    call kmain
4:  cli
    hlt
    jmp 4b

    .section .data.boot, "aw", @progbits
    .balign 16
boot_gdt:
    .quad 0                         /* 0x00 null */
    .quad 0x00AF9A000000FFFF        /* 0x08 64-bit code, ring 0 */
    .quad 0x00CF92000000FFFF        /* 0x10 data */
boot_gdt_end:
    .balign 4
    .word 0
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .bss, "aw", @nobits
    .balign 4096
    .global boot_pml4
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4096 * 4
    .balign 16
    .global boot_stack_bottom
boot_stack_bottom:
    .skip 128 * 1024
    .global boot_stack_top
boot_stack_top:

/* Interrupt and exception entry for all 256 vectors. Each stub pushes a dummy error code when the CPU
   does not, then the vector, and jumps to one common path that saves the general registers and calls
   the Swift handler kernel_interrupt(frame). The kernel is soft-float and built without a red zone,
   so no FPU/SSE state needs saving and an interrupt may arrive between any two instructions. */
    .code64
    .text

/* 256 stubs, each in its own 16-byte slot, so stub N is at isr_stubs + 16*N (no table needed). */
    .balign 16
    .global isr_stubs
isr_stubs:
    .set vector, 0
    .rept 256
    .balign 16
    .if (vector == 8) || (vector == 10) || (vector == 11) || (vector == 12) || (vector == 13) || (vector == 14) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
    /* the CPU pushed an error code */
    .else
    pushq $0
    .endif
    pushq $vector
    jmp isr_common
    .set vector, vector + 1
    .endr

/* Frame layout seen by Swift (offsets in 8-byte words from the frame pointer):
   0 r15 1 r14 2 r13 3 r12 4 r11 5 r10 6 r9 7 r8 8 rbp 9 rdi 10 rsi 11 rdx 12 rcx 13 rbx 14 rax
   15 vector 16 error code 17 rip 18 cs 19 rflags 20 rsp 21 ss */
isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi                  /* arg0: the frame */
    mov %rsp, %rbx                  /* callee-saved copy */
    and $-16, %rsp                  /* SysV alignment for the call */
    cld
    call kernel_interrupt
    mov %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp                   /* vector and error code */
    iretq


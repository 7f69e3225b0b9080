/* Start-up for C images on `virt`: M mode, FPU on, trap -> exit(code 0x7f),
 * zero .tbss/.bss, tp = TLS block (used in place; single hart), call main. */
  .section .text.init, "ax", @progbits
  .globl _start
_start:
  csrr t0, mhartid
1: bnez t0, 1b                       /* only hart 0 runs */
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack
  la t0, trap
  csrw mtvec, t0
  li t0, 0x2000                      /* mstatus.FS = Initial */
  csrs mstatus, t0
  csrw fcsr, zero
  la t0, __tbss_start
  la t1, __bss_end
2: bgeu t0, t1, 3f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 2b
3:
  la tp, __tls_base
  li a0, 0
  li a1, 0
  call main
  call exit
4: j 4b

  .align 2
trap:
  li a0, 0x7f
  call _exit

# F/D corner cases; see README.md. Exit 0 = pass, N = check N failed.
# Each CHECK: expected value in t1, expected flags in t2, test number in gp.
.macro CHECK n, val, fl
    li gp, \n
    csrrw a1, fflags, zero
    li t1, \val
    li t2, \fl
    bne a0, t1, fail
    bne a1, t2, fail
.endm
.section .text.init
.globl _start
_start:
    li t0, 1 << 13
    csrs mstatus, t0
    csrw fcsr, zero
    # 1: fcvt.wu.s -0.5 rtz -> 0, NX
    li t0, 0xbf000000
    fmv.w.x f1, t0
    fcvt.wu.s a0, f1, rtz
    CHECK 1, 0, 1
    # 2: fmin.s sNaN, 1.0 -> 1.0, NV
    li t0, 0x7f800001
    fmv.w.x f1, t0
    li t0, 0x3f800000
    fmv.w.x f2, t0
    fmin.s f3, f1, f2
    fmv.x.w a0, f3
    CHECK 2, 0x3f800000, 0x10
    # 3: fmadd.s inf*0 + qNaN -> canonical, NV
    li t0, 0x7f800000
    fmv.w.x f1, t0
    fmv.w.x f2, zero
    li t0, 0x7fc00000
    fmv.w.x f3, t0
    fmadd.s f4, f1, f2, f3
    fmv.x.w a0, f4
    CHECK 3, 0x7fc00000, 0x10
    # 4: fcvt.s.d 2^-126*(1-2^-25) RNE -> 0x00800000, NX only (tininess after rounding)
    li t0, 0x380fffffffc00000
    fmv.d.x f1, t0
    fcvt.s.d f2, f1, rne
    fmv.x.w a0, f2
    CHECK 4, 0x00800000, 0x1
    # 5: same, RTZ -> 0x007fffff, UF|NX
    fcvt.s.d f2, f1, rtz
    fmv.x.w a0, f2
    CHECK 5, 0x007fffff, 0x3
    # 6: fsgnj.s with unboxed rs1 (1.0 in a double reg) and -2.0 -> 0xffc00000 boxed
    li t0, 0x3f800000
    fmv.d.x f1, t0
    li t0, 0xc0000000
    fmv.w.x f2, t0
    fsgnj.s f3, f1, f2
    fmv.x.d a0, f3
    CHECK 6, 0xffffffffffc00000, 0
    # 7: fclass.s of unboxed -> qNaN (bit 9)
    fclass.s a0, f1
    CHECK 7, 0x200, 0
    # 8: fcvt.w.s of -NaN -> 0x7fffffff NV
    li t0, 0xffc00000
    fmv.w.x f1, t0
    fcvt.w.s a0, f1, rne
    CHECK 8, 0x7fffffff, 0x10
    # 9: fcvt.wu.d of 3e9 -> sign-extended
    li t0, 0x41e65a0bc0000000
    fmv.d.x f1, t0
    fcvt.wu.d a0, f1, rtz
    CHECK 9, 0xffffffffb2d05e00, 0
    # 10: fmax.s -0, +0 -> +0 ; fmin -> -0
    li t0, 0x80000000
    fmv.w.x f1, t0
    fmv.w.x f2, zero
    fmax.s f3, f1, f2
    fmv.x.w a0, f3
    CHECK 10, 0, 0
    fmin.s f3, f2, f1
    fmv.x.w a0, f3
    CHECK 11, 0xffffffff80000000, 0
    # 12: fcvt.wu.d of -0.5 RDN -> 0, NV
    li t0, 0xbfe0000000000000
    fmv.d.x f1, t0
    fcvt.wu.d a0, f1, rdn
    CHECK 12, 0, 0x10
    # 13: fnmadd.s 1*1 + 2^-24 RDN -> 0xbf800001 NX
    li t0, 0x3f800000
    fmv.w.x f1, t0
    li t0, 0x33800000
    fmv.w.x f2, t0
    fnmadd.s f3, f1, f1, f2, rdn
    fmv.x.w a0, f3
    CHECK 13, 0xffffffffbf800001, 1
    # 14: fcvt.d.s with frm=5 dynamic -> illegal: set mtvec to a handler that passes
    la t0, trap_ok
    csrw mtvec, t0
    li t0, 5 << 5
    csrw fcsr, t0
    li gp, 14
    .word 0x420170d3  # fcvt.d.s f1, f2, dyn
    j fail
.align 2
trap_ok:
    li gp, 15
    csrr t0, mcause
    mv s1, t0
    li t1, 2
    bne t0, t1, fail
    li a0, 1
    j done
fail:
    li t0, 15
    bne gp, t0, 2f
    addi gp, s1, 16
2:  slli a0, gp, 1
    ori a0, a0, 1
done:
    la t0, tohost
    sd a0, 0(t0)
1:  j 1b
.section .tohost, "aw"
.align 6
.globl tohost
tohost: .dword 0
.size tohost, 8
.globl fromhost
fromhost: .dword 0
.size fromhost, 8

//! F and D operations generated inline with SSE on the `Hart`'s FP
//! registers, where the host's result is the RISC-V result bit for bit and
//! no exception flag can change: FS is Dirty, the rounding mode is RNE,
//! inexact is accrued already, inputs are properly NaN-boxed, and the
//! result is a normal number whose exponent leaves no doubt about underflow
//! (tininess is detected after rounding, Unprivileged spec 11.6) or overflow.
//!
//! The first three are the block's `FpMode`, part of its key and checked
//! once on entry: within a block they cannot change, since only CSR writes
//! clear flags or change FS and frm, and those end the block (helpers only
//! ever accrue flags and dirty FS).
//! Anything else (NaN results, which RISC-V canonicalises, zeros,
//! subnormals, infinities, flags still to accrue, other rounding modes)
//! jumps to the slow path: the instruction's handler in `cpu-riscv`, the
//! one source of FP semantics, runs it from the start.

use std::mem::offset_of;

use cpu_riscv::engine::DirectReads;

use cpu_riscv::{Hart, Insn, Op};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

use super::enc::{op, W};
use super::regs::{get, get32, set, RAX, RCX, RDX};
use super::{mem, Asm, FCSR, MSTATUS};

const F: i32 = super::field(offset_of!(Hart, f));
/// mstatus.FS (Privileged spec 3.1.6.6); 3 is Dirty.
const FS: i32 = 0x6000;
/// fflags.NX (Unprivileged spec 11.2).
const NX: i32 = 1;

/// Displacement of FP register `r` from `rbx`.
fn fr(r: u8) -> i32 {
    F + 8 * i32::from(r & 31)
}

/// What a block's FP fast paths take for granted (checked on entry).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FpMode {
    /// Nothing: every FP instruction runs its handler.
    Off,
    /// FS is Dirty: moves, loads and stores, sign injection, compares and
    /// exact conversions are inline.
    Dirty,
    /// FS is Dirty, inexact is accrued and frm is RNE: arithmetic too.
    Fast,
}

/// The mode `h`'s state allows (as `check_mode` checks it).
pub(crate) fn mode_of(h: &Hart) -> FpMode {
    if h.csr.mstatus & FS as u64 != FS as u64 {
        FpMode::Off
    } else if h.csr.fcsr & 0xe1 == NX as u64 {
        FpMode::Fast
    } else {
        FpMode::Dirty
    }
}

/// On block entry: unless the state's mode is `mode` (as `mode_of`), go to
/// `wrong`. Exactly this mode, so that a block translated before FS became
/// Dirty or inexact accrued leaves, and Rust puts the better one in its place.
pub(crate) fn check_mode(a: &mut Asm, mode: FpMode, wrong: DynamicLabel) {
    dynasm!(a; .arch x64
        ; mov eax, DWORD [rbx + MSTATUS]
        ; not eax
        ; test eax, FS
    );
    if mode == FpMode::Off {
        dynasm!(a; .arch x64; jz =>wrong);
        return;
    }
    dynasm!(a; .arch x64
        ; jnz =>wrong
        ; movzx eax, BYTE [rbx + FCSR]
        ; and eax, 0xe1
        ; cmp eax, NX
    );
    if mode == FpMode::Fast {
        dynasm!(a; .arch x64; jne =>wrong);
    } else {
        dynasm!(a; .arch x64; je =>wrong);
    }
}

/// Whether `i` has an inline fast path in a block of `mode`.
pub(crate) fn inlinable(i: &Insn, mode: FpMode) -> bool {
    use Op::*;
    if mode == FpMode::Off {
        return false;
    }
    let fast = mode == FpMode::Fast;
    match i.op {
        FmaddD | FmsubD | FnmsubD | FnmaddD | FmaddS | FmsubS | FnmsubS | FnmaddS => {
            fast && rne(i) && std::arch::is_x86_feature_detected!("fma")
        }
        FaddD | FsubD | FmulD | FdivD | FsqrtD | FaddS | FsubS | FmulS | FdivS | FsqrtS | FcvtDL | FcvtSD => {
            fast && rne(i)
        }
        FcvtWD | FcvtLD | FcvtWuD | FcvtLuD | FcvtWS | FcvtLS | FcvtWuS | FcvtLuS => fast && (rne(i) || i.rm == 1),
        FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FcvtDLu => fast && rne(i),
        Fld | Fsd | Flw | Fsw | FsgnjD | FsgnjnD | FsgnjxD | FsgnjS | FsgnjnS | FsgnjxS | FmvXD | FmvDX | FmvXW
        | FmvWX | FeqD | FltD | FleD | FeqS | FltS | FleS => true,
        // Exact, but a reserved rounding mode is still illegal (11.2).
        FcvtDW | FcvtDWu | FcvtDS => i.rm <= 4 || i.rm == 7,
        _ => false,
    }
}

/// Round to nearest, ties to even: statically, or dynamically (frm is RNE
/// in `FpMode::Fast`).
fn rne(i: &Insn) -> bool {
    i.rm == 0 || i.rm == 7
}

/// For the dynamic rounding mode, unless frm is RNE (a reserved frm must
/// trap), take the slow path. `FpMode::Fast` has checked already.
fn check_frm(a: &mut Asm, i: &Insn, mode: FpMode, slow: DynamicLabel) {
    if i.rm == 7 && mode != FpMode::Fast {
        dynasm!(a; .arch x64; test BYTE [rbx + FCSR], 0xe0_u8 as i8; jnz =>slow);
    }
}

/// Unless the single in FP register `r` is properly NaN-boxed, take the slow path.
fn check_boxed(a: &mut Asm, r: u8, slow: DynamicLabel) {
    dynasm!(a; .arch x64; cmp DWORD [rbx + fr(r) + 4], -1; jne =>slow);
}

/// `rax` = the double in xmm0, unless its biased exponent is outside 2..=0x7fe.
fn check_result_d(a: &mut Asm, slow: DynamicLabel) {
    dynasm!(a; .arch x64
        ; movq rax, xmm0
        // The exponent: shifted left past the sign, then right past the rest.
        ; lea rcx, [rax + rax]
        ; shr rcx, 53
        ; sub ecx, 2
        ; cmp ecx, 0x7fd
        ; jae =>slow
    );
}

/// `eax` = the single in xmm0, unless its biased exponent is outside 2..=0xfe.
fn check_result_s(a: &mut Asm, slow: DynamicLabel) {
    dynasm!(a; .arch x64
        ; movd eax, xmm0
        ; lea ecx, [rax + rax]
        ; shr ecx, 24
        ; sub ecx, 2
        ; cmp ecx, 0xfd
        ; jae =>slow
    );
}

fn store_s(a: &mut Asm, rd: u8) {
    dynasm!(a; .arch x64; mov DWORD [rbx + fr(rd)], eax; mov DWORD [rbx + fr(rd) + 4], -1);
}

/// Whether `i` is a CSR instruction on fflags, frm or fcsr.
pub(crate) fn is_fcsr_access(i: &Insn) -> bool {
    use Op::*;
    matches!(i.op, Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci) && (1..=3).contains(&(i.imm & 0xfff))
}

/// Emit a CSR instruction on fflags, frm or fcsr inline (Unprivileged spec
/// 11.2, as `cpu-riscv`'s CSR table): with FS Dirty (any mode but `Off`) it
/// is legal and a write changes only fcsr. False if `i` is something else.
/// A write ends the block (it may change the mode), as for any CSR write.
pub(crate) fn emit_csr(a: &mut Asm, i: &Insn, mode: FpMode) -> bool {
    use Op::*;
    if mode == FpMode::Off || !is_fcsr_access(i) {
        return false;
    }
    let (shift, mask) = match i.imm & 0xfff {
        1 => (0, 0x1f),
        2 => (5, 0xe0),
        _ => (0, 0xff),
    };
    // The operand, shifted into place, first: rd may be rs1.
    let imm = matches!(i.op, Csrrwi | Csrrsi | Csrrci);
    if imm {
        dynasm!(a; .arch x64; mov ecx, i32::from(i.rs1));
    } else {
        get(a, RCX, i.rs1);
    }
    dynasm!(a; .arch x64
        ; shl ecx, shift
        ; and ecx, mask
        ; mov rax, QWORD [rbx + FCSR]
        ; mov edx, eax
        ; and edx, mask
        ; shr edx, shift
    );
    // csrrs/csrrc with x0 (or 0) do not write (9.1).
    match i.op {
        Csrrw | Csrrwi => dynasm!(a; .arch x64; and eax, !mask; or eax, ecx; mov QWORD [rbx + FCSR], rax),
        Csrrs | Csrrsi if i.rs1 != 0 => dynasm!(a; .arch x64; or eax, ecx; mov QWORD [rbx + FCSR], rax),
        Csrrc | Csrrci if i.rs1 != 0 => dynasm!(a; .arch x64; not ecx; and eax, ecx; mov QWORD [rbx + FCSR], rax),
        _ => {}
    }
    set(a, i.rd, RDX);
    true
}

/// xmm0 = the arithmetic operation `$op` (add, sub, mul, div, sqrt, the
/// fused multiply-adds) on the FP registers at `$s1`, `$s2`, `$s3`, at width
/// `$w` with the SSE instructions named (`$fma` the FMA3 suffix, `sd`/`ss`).
/// x86's fnmadd is -(a*b)+c (RISC-V fnmsub), its fnmsub -(a*b)-c.
/// With a last argument, xmm0 holds rs1 already (not for square roots).
macro_rules! arith {
    ($a:expr, $op:expr, $w:ident, $mov:ident, $sqrt:ident, $add:ident, $sub:ident, $mul:ident, $div:ident,
     $fma:ident, $s1:expr, $s2:expr, $s3:expr) => {{
        use Op::*;
        match $op {
            FsqrtD | FsqrtS => dynasm!($a; .arch x64; $sqrt xmm0, $w [rbx + $s1]),
            _ => dynasm!($a; .arch x64; $mov xmm0, $w [rbx + $s1]),
        }
        arith!($a, $op, $w, $mov, $sqrt, $add, $sub, $mul, $div, $fma, $s1, $s2, $s3, held)
    }};
    ($a:expr, $op:expr, $w:ident, $mov:ident, $sqrt:ident, $add:ident, $sub:ident, $mul:ident, $div:ident,
     $fma:ident, $s1:expr, $s2:expr, $s3:expr, held) => {{
        use Op::*;
        match $op {
            FaddD | FaddS => dynasm!($a; .arch x64; $add xmm0, $w [rbx + $s2]),
            FsubD | FsubS => dynasm!($a; .arch x64; $sub xmm0, $w [rbx + $s2]),
            FmulD | FmulS => dynasm!($a; .arch x64; $mul xmm0, $w [rbx + $s2]),
            FdivD | FdivS => dynasm!($a; .arch x64; $div xmm0, $w [rbx + $s2]),
            FmaddD | FmaddS | FmsubD | FmsubS | FnmsubD | FnmsubS | FnmaddD | FnmaddS => {
                dynasm!($a; .arch x64; $mov xmm1, $w [rbx + $s2]);
                fma!($a, $op, $fma, $w, $s3);
            }
            _ => {}
        }
    }};
}

/// xmm0 = `$op` with xmm0 as its second operand (`Held::Rs2`: sums and
/// products of numbers are the same either way round, and NaNs, whose
/// payloads would tell, are slow paths; differences and quotients go
/// through xmm1) or a fused multiply-add's addend (`Held::Rs3`: the 231
/// forms, xmm0 = rs1 * rs2 + xmm0).
macro_rules! on_held {
    ($a:expr, $op:expr, $h:expr, sd, $s1:expr, $s2:expr) => {
        on_held!($a, $op, $h, QWORD, movsd, addsd, subsd, mulsd, divsd, movapd,
            vfmadd231sd, vfmsub231sd, vfnmadd231sd, vfnmsub231sd, $s1, $s2)
    };
    ($a:expr, $op:expr, $h:expr, ss, $s1:expr, $s2:expr) => {
        on_held!($a, $op, $h, DWORD, movss, addss, subss, mulss, divss, movaps,
            vfmadd231ss, vfmsub231ss, vfnmadd231ss, vfnmsub231ss, $s1, $s2)
    };
    ($a:expr, $op:expr, $h:expr, $w:ident, $mov:ident, $add:ident, $sub:ident, $mul:ident, $div:ident,
     $mova:ident, $madd:ident, $msub:ident, $nmadd:ident, $nmsub:ident, $s1:expr, $s2:expr) => {{
        use Op::*;
        match ($h, $op) {
            (Held::Rs2, FaddD | FaddS) => dynasm!($a; .arch x64; $add xmm0, $w [rbx + $s1]),
            (Held::Rs2, FmulD | FmulS) => dynasm!($a; .arch x64; $mul xmm0, $w [rbx + $s1]),
            (Held::Rs2, FsubD | FsubS) => dynasm!($a; .arch x64; $mov xmm1, $w [rbx + $s1]; $sub xmm1, xmm0; $mova xmm0, xmm1),
            (Held::Rs2, _) => dynasm!($a; .arch x64; $mov xmm1, $w [rbx + $s1]; $div xmm1, xmm0; $mova xmm0, xmm1),
            (_, FmaddD | FmaddS) => dynasm!($a; .arch x64; $mov xmm1, $w [rbx + $s1]; $madd xmm0, xmm1, $w [rbx + $s2]),
            (_, FmsubD | FmsubS) => dynasm!($a; .arch x64; $mov xmm1, $w [rbx + $s1]; $msub xmm0, xmm1, $w [rbx + $s2]),
            (_, FnmsubD | FnmsubS) => dynasm!($a; .arch x64; $mov xmm1, $w [rbx + $s1]; $nmadd xmm0, xmm1, $w [rbx + $s2]),
            _ => dynasm!($a; .arch x64; $mov xmm1, $w [rbx + $s1]; $nmsub xmm0, xmm1, $w [rbx + $s2]),
        }
    }};
}

/// Which operand of an arithmetic operation xmm0 holds (`held_operand`).
#[derive(Clone, Copy)]
enum Held {
    Rs1,
    Rs2,
    Rs3,
}

/// Tag of a held register (`emit`'s `held`) whose single xmm0 holds; a
/// double's has none, so that neither is taken for the other.
const SINGLE: u8 = 0x20;

/// Which operand of arithmetic `i` is `held` (a register as `emit` takes
/// it, `tag` the operation's width's) and can be taken from xmm0: rs1 (not
/// a square root's), rs2 of the two-operand ones, a fused multiply-add's
/// rs3.
fn held_operand(i: &Insn, held: Option<u8>, tag: u8) -> Option<Held> {
    use Op::*;
    let h = held?;
    let is = |r: u8| h == r & 31 | tag;
    match i.op {
        FsqrtD | FsqrtS => None,
        _ if is(i.rs1) => Some(Held::Rs1),
        FaddD | FsubD | FmulD | FdivD | FaddS | FsubS | FmulS | FdivS if is(i.rs2) => Some(Held::Rs2),
        FmaddD | FmsubD | FnmsubD | FnmaddD | FmaddS | FmsubS | FnmsubS | FnmaddS if is(i.rs3) => Some(Held::Rs3),
        _ => None,
    }
}

/// The FMA3 instruction for RISC-V's fused multiply-add `$op`.
macro_rules! fma {
    ($a:expr, $op:expr, sd, $w:ident, $s3:expr) => {
        match $op {
            FmaddD => dynasm!($a; .arch x64; vfmadd213sd xmm0, xmm1, $w [rbx + $s3]),
            FmsubD => dynasm!($a; .arch x64; vfmsub213sd xmm0, xmm1, $w [rbx + $s3]),
            FnmsubD => dynasm!($a; .arch x64; vfnmadd213sd xmm0, xmm1, $w [rbx + $s3]),
            _ => dynasm!($a; .arch x64; vfnmsub213sd xmm0, xmm1, $w [rbx + $s3]),
        }
    };
    ($a:expr, $op:expr, ss, $w:ident, $s3:expr) => {
        match $op {
            FmaddS => dynasm!($a; .arch x64; vfmadd213ss xmm0, xmm1, $w [rbx + $s3]),
            FmsubS => dynasm!($a; .arch x64; vfmsub213ss xmm0, xmm1, $w [rbx + $s3]),
            FnmsubS => dynasm!($a; .arch x64; vfnmadd213ss xmm0, xmm1, $w [rbx + $s3]),
            _ => dynasm!($a; .arch x64; vfnmsub213ss xmm0, xmm1, $w [rbx + $s3]),
        }
    };
}

/// The fast path of `i` (`inlinable(i, mode)`) in a block of `mode`; the
/// slow path at `slow`; loads may use the direct-read window `direct`,
/// checked there as its `mem::Check` says (`Covered`: at a loop's entry).
///
/// `held` is the FP register whose value xmm0 holds, if any (a single's
/// tagged `SINGLE`, in xmm0's low half): arithmetic of its width on it (as
/// `held_operand` finds it) takes it from there rather than through memory
/// (a store-to-load forward on the dependency chain of FP code). Returns
/// the register xmm0 holds after `i` (its rd after arithmetic, which
/// leaves the result in xmm0), for the next instruction.
pub(crate) fn emit(
    a: &mut Asm,
    i: &Insn,
    mode: FpMode,
    direct: Option<(&DirectReads, mem::Check)>,
    slow: DynamicLabel,
    held: Option<u8>,
    site: &mut Option<usize>,
) -> Option<u8> {
    use Op::*;
    let (s1, s2, s3, d) = (fr(i.rs1), fr(i.rs2), fr(i.rs3), fr(i.rd));
    let (check, direct) = (direct.map_or(mem::Check::Own, |d| d.1), direct.map(|d| d.0));
    match i.op {
        FaddD | FsubD | FmulD | FdivD | FsqrtD | FmaddD | FmsubD | FnmsubD | FnmaddD => {
            match held_operand(i, held, 0) {
                Some(Held::Rs1) => {
                    arith!(a, i.op, QWORD, movsd, sqrtsd, addsd, subsd, mulsd, divsd, sd, s1, s2, s3, held)
                }
                Some(h) => on_held!(a, i.op, h, sd, s1, s2),
                None => arith!(a, i.op, QWORD, movsd, sqrtsd, addsd, subsd, mulsd, divsd, sd, s1, s2, s3),
            }
            check_result_d(a, slow);
            dynasm!(a; .arch x64; movsd QWORD [rbx + d], xmm0);
            return Some(i.rd & 31);
        }
        FcvtDL => {
            get(a, RAX, i.rs1);
            dynasm!(a; .arch x64; cvtsi2sd xmm0, rax);
            check_result_d(a, slow);
            dynasm!(a; .arch x64; mov QWORD [rbx + d], rax);
        }
        FaddS | FsubS | FmulS | FdivS | FsqrtS | FmaddS | FmsubS | FnmsubS | FnmaddS => {
            // Every operand's boxing checked, xmm0's too: a loop takes its
            // register into xmm0 on entry whatever it holds (`loop_held`).
            check_boxed(a, i.rs1, slow);
            if i.op != FsqrtS {
                check_boxed(a, i.rs2, slow);
            }
            if matches!(i.op, FmaddS | FmsubS | FnmsubS | FnmaddS) {
                check_boxed(a, i.rs3, slow);
            }
            match held_operand(i, held, SINGLE) {
                Some(Held::Rs1) => {
                    arith!(a, i.op, DWORD, movss, sqrtss, addss, subss, mulss, divss, ss, s1, s2, s3, held)
                }
                Some(h) => on_held!(a, i.op, h, ss, s1, s2),
                None => arith!(a, i.op, DWORD, movss, sqrtss, addss, subss, mulss, divss, ss, s1, s2, s3),
            }
            check_result_s(a, slow);
            store_s(a, i.rd);
            return Some(i.rd & 31 | SINGLE);
        }
        // double -> single: rounds (flags as arithmetic); single -> double is exact.
        FcvtSD => {
            dynasm!(a; .arch x64; cvtsd2ss xmm0, QWORD [rbx + s1]);
            check_result_s(a, slow);
            store_s(a, i.rd);
        }
        FcvtDS => {
            check_frm(a, i, mode, slow);
            check_boxed(a, i.rs1, slow);
            dynasm!(a; .arch x64; cvtss2sd xmm0, DWORD [rbx + s1]);
            check_result_d(a, slow);
            dynasm!(a; .arch x64; mov QWORD [rbx + d], rax);
        }
        // int32 -> double is exact.
        FcvtDW => {
            check_frm(a, i, mode, slow);
            get32(a, RAX, i.rs1);
            dynasm!(a; .arch x64; cvtsi2sd xmm0, eax; movsd QWORD [rbx + d], xmm0);
        }
        FcvtDWu => {
            check_frm(a, i, mode, slow);
            get32(a, RAX, i.rs1);
            dynasm!(a; .arch x64; cvtsi2sd xmm0, rax; movsd QWORD [rbx + d], xmm0);
        }
        // FP -> integer, converted to 64 bits (32 for the signed word):
        // NaN and out-of-range give x86's "integer indefinite" (the
        // minimum) or a value outside the target's range, which the slow
        // path sorts out (11.7); so does an unsigned result of 2^63 or more.
        FcvtWD | FcvtLD | FcvtWuD | FcvtLuD | FcvtWS | FcvtLS | FcvtWuS | FcvtLuS => {
            let single = matches!(i.op, FcvtWS | FcvtLS | FcvtWuS | FcvtLuS);
            let signed_word = matches!(i.op, FcvtWD | FcvtWS);
            if single {
                check_boxed(a, i.rs1, slow);
            }
            match (single, i.rm == 1, signed_word) {
                (false, true, true) => dynasm!(a; .arch x64; cvttsd2si eax, QWORD [rbx + s1]),
                (false, true, false) => dynasm!(a; .arch x64; cvttsd2si rax, QWORD [rbx + s1]),
                (false, false, true) => dynasm!(a; .arch x64; cvtsd2si eax, QWORD [rbx + s1]),
                (false, false, false) => dynasm!(a; .arch x64; cvtsd2si rax, QWORD [rbx + s1]),
                (true, true, true) => dynasm!(a; .arch x64; cvttss2si eax, DWORD [rbx + s1]),
                (true, true, false) => dynasm!(a; .arch x64; cvttss2si rax, DWORD [rbx + s1]),
                (true, false, true) => dynasm!(a; .arch x64; cvtss2si eax, DWORD [rbx + s1]),
                (true, false, false) => dynasm!(a; .arch x64; cvtss2si rax, DWORD [rbx + s1]),
            }
            match i.op {
                FcvtWD | FcvtWS => dynasm!(a; .arch x64; cmp eax, i32::MIN; je =>slow; movsxd rax, eax),
                FcvtLD | FcvtLS => dynasm!(a; .arch x64; mov rcx, QWORD i64::MIN; cmp rax, rcx; je =>slow),
                // 0..2^32, sign-extended from 32 bits as RV64 writes it (11.7).
                FcvtWuD | FcvtWuS => {
                    dynasm!(a; .arch x64; mov rcx, rax; shr rcx, 32; jnz =>slow; movsxd rax, eax)
                }
                _ => dynasm!(a; .arch x64; test rax, rax; js =>slow),
            }
            set(a, i.rd, RAX);
        }
        // Integer -> FP: rounded (RNE, as MXCSR is), never NaN or infinite;
        // an unsigned 64-bit value of 2^63 or more takes the slow path.
        FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FcvtDLu => {
            match i.op {
                FcvtSW | FcvtSWu => get32(a, RAX, i.rs1),
                _ => get(a, RAX, i.rs1),
            }
            match i.op {
                FcvtSW => dynasm!(a; .arch x64; cvtsi2ss xmm0, eax),
                FcvtSLu => dynasm!(a; .arch x64; test rax, rax; js =>slow; cvtsi2ss xmm0, rax),
                FcvtDLu => dynasm!(a; .arch x64; test rax, rax; js =>slow; cvtsi2sd xmm0, rax),
                _ => dynasm!(a; .arch x64; cvtsi2ss xmm0, rax),
            }
            if i.op == FcvtDLu {
                dynasm!(a; .arch x64; movsd QWORD [rbx + d], xmm0);
            } else {
                dynasm!(a; .arch x64; movd eax, xmm0);
                store_s(a, i.rd);
            }
        }
        // Singles: improperly boxed inputs are the canonical NaN (slow path).
        FsgnjS | FsgnjnS | FsgnjxS => {
            check_boxed(a, i.rs1, slow);
            check_boxed(a, i.rs2, slow);
            dynasm!(a; .arch x64
                ; mov eax, DWORD [rbx + s1]
                ; mov ecx, DWORD [rbx + s2]
            );
            match i.op {
                FsgnjS => dynasm!(a; .arch x64; and ecx, i32::MIN; and eax, i32::MAX; or eax, ecx),
                FsgnjnS => dynasm!(a; .arch x64; not ecx; and ecx, i32::MIN; and eax, i32::MAX; or eax, ecx),
                _ => dynasm!(a; .arch x64; and ecx, i32::MIN; xor eax, ecx),
            }
            store_s(a, i.rd);
        }
        FsgnjD | FsgnjnD | FsgnjxD => {
            dynasm!(a; .arch x64
                ; mov rax, QWORD [rbx + s1]
                ; mov rcx, QWORD [rbx + s2]
                ; mov rdx, QWORD i64::MIN
            );
            match i.op {
                FsgnjD => dynasm!(a; .arch x64; and rcx, rdx; not rdx; and rax, rdx; or rax, rcx),
                FsgnjnD => dynasm!(a; .arch x64; not rcx; and rcx, rdx; not rdx; and rax, rdx; or rax, rcx),
                _ => dynasm!(a; .arch x64; and rcx, rdx; xor rax, rcx),
            }
            dynasm!(a; .arch x64; mov QWORD [rbx + d], rax);
        }
        FmvXD => {
            dynasm!(a; .arch x64; mov rax, QWORD [rbx + s1]);
            set(a, i.rd, RAX);
        }
        FmvDX => {
            get(a, RAX, i.rs1);
            dynasm!(a; .arch x64; mov QWORD [rbx + d], rax);
        }
        FmvXW => {
            dynasm!(a; .arch x64; movsxd rax, DWORD [rbx + s1]);
            set(a, i.rd, RAX);
        }
        FmvWX => {
            get32(a, RAX, i.rs1);
            store_s(a, i.rd);
        }
        // Unordered operands (NaNs) may raise invalid: slow path.
        FeqD | FltD | FleD | FeqS | FltS | FleS => {
            if matches!(i.op, FeqS | FltS | FleS) {
                check_boxed(a, i.rs1, slow);
                check_boxed(a, i.rs2, slow);
                dynasm!(a; .arch x64; movss xmm0, DWORD [rbx + s1]; ucomiss xmm0, DWORD [rbx + s2]);
            } else {
                dynasm!(a; .arch x64; movsd xmm0, QWORD [rbx + s1]; ucomisd xmm0, QWORD [rbx + s2]);
            }
            dynasm!(a; .arch x64; jp =>slow);
            match i.op {
                FeqD | FeqS => dynasm!(a; .arch x64; sete al),
                FltD | FltS => dynasm!(a; .arch x64; setb al),
                _ => dynasm!(a; .arch x64; setbe al),
            }
            dynasm!(a; .arch x64; movzx eax, al);
            set(a, i.rd, RAX);
        }
        Fld | Flw => {
            let size = if i.op == Fld { 8 } else { 4 };
            let m = mem::translate(a, i, size, false, direct, mem::Slow { label: slow, island: None }, check);
            if size == 8 {
                mem::load_at(a, W::Q, op::MOV_LOAD, RAX, &m);
                dynasm!(a; .arch x64; mov QWORD [rbx + d], rax);
            } else {
                mem::load_at(a, W::D, op::MOV_LOAD, RAX, &m);
                store_s(a, i.rd);
            }
        }
        Fsd | Fsw => {
            let size = if i.op == Fsd { 8 } else { 4 };
            let m = mem::translate(a, i, size, true, direct, mem::Slow { label: slow, island: None }, check);
            if size == 8 {
                dynasm!(a; .arch x64; mov rdx, QWORD [rbx + s2]);
                *site = mem::guarded_site(a, &m);
                mem::store_at(a, W::Q, RDX, &m);
            } else {
                dynasm!(a; .arch x64; mov edx, DWORD [rbx + s2]);
                *site = mem::guarded_site(a, &m);
                mem::store_at(a, W::D, RDX, &m);
            }
        }
        _ => unreachable!("not inlinable: {:?}", i.op),
    }
    None
}

/// The FP register a loop going round by itself (`insns`, in a block of
/// `mode`) keeps in xmm0 from one round to the next (as `emit` takes
/// `held`): the result of its last arithmetic (`emit` leaves it there), if
/// arithmetic of its width in the loop reads it from xmm0, as an
/// accumulator's or a recurrence's is. The
/// loop loads it on entry and again before going round wherever xmm0
/// holds another (`emit_body`), so this choice is only a guess at what
/// saves most.
pub(crate) fn loop_held(insns: &[Insn], mode: FpMode) -> Option<u8> {
    use Op::*;
    let single =
        |i: &Insn| matches!(i.op, FaddS | FsubS | FmulS | FdivS | FsqrtS | FmaddS | FmsubS | FnmsubS | FnmaddS);
    let double =
        |i: &Insn| matches!(i.op, FaddD | FsubD | FmulD | FdivD | FsqrtD | FmaddD | FmsubD | FnmsubD | FnmaddD);
    let arith = |i: &Insn| (single(i) || double(i)) && inlinable(i, mode);
    let last = insns.iter().rev().find(|i| arith(i))?;
    let held = last.rd & 31 | if single(last) { SINGLE } else { 0 };
    let tag = |i: &Insn| if single(i) { SINGLE } else { 0 };
    insns.iter().any(|i| arith(i) && held_operand(i, Some(held), tag(i)).is_some()).then_some(held)
}

/// xmm0 = FP register `r` (a held register as `emit` takes it, a single's
/// tagged: its boxed bits, the single in the low half), after a slow path,
/// which the fast path's successor may take it as holding.
pub(crate) fn reload_xmm0(a: &mut Asm, r: u8) {
    dynasm!(a; .arch x64; movsd xmm0, QWORD [rbx + fr(r)]);
}

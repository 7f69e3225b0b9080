//! The CSR table: name, access predicate, read and write for every CSR
//! (Privileged spec ch. 2 and 3, Unprivileged spec ch. 9 and 11.2), one row
//! per CSR as in QEMU's `target/riscv/csr.c`.
//!
//! Illegal accesses return `Exception::illegal(0)`: the Zicsr handlers put
//! the raw instruction into `tval` (Privileged spec 3.1.16).

use std::sync::OnceLock;

use crate::cpu::Cpu;
use crate::hart::Priv;
use crate::trap::{Cause, Exception};

// mstatus fields (Privileged spec 3.1.6, RV64 layout).
pub const MSTATUS_SIE: u64 = 1 << 1;
pub const MSTATUS_MIE: u64 = 1 << 3;
pub const MSTATUS_SPIE: u64 = 1 << 5;
pub const MSTATUS_MPIE: u64 = 1 << 7;
pub const MSTATUS_SPP: u64 = 1 << 8;
pub const MSTATUS_MPP_SHIFT: u32 = 11;
pub const MSTATUS_MPP: u64 = 3 << MSTATUS_MPP_SHIFT;
pub const MSTATUS_FS_SHIFT: u32 = 13;
pub const MSTATUS_FS: u64 = 3 << MSTATUS_FS_SHIFT;
pub const MSTATUS_XS: u64 = 3 << 15;
pub const MSTATUS_MPRV: u64 = 1 << 17;
pub const MSTATUS_SUM: u64 = 1 << 18;
pub const MSTATUS_MXR: u64 = 1 << 19;
pub const MSTATUS_TVM: u64 = 1 << 20;
pub const MSTATUS_TW: u64 = 1 << 21;
pub const MSTATUS_TSR: u64 = 1 << 22;
pub const MSTATUS_UXL: u64 = 3 << 32;
pub const MSTATUS_SXL: u64 = 3 << 34;
pub const MSTATUS_SD: u64 = 1 << 63;

/// UXL = SXL = 2 (64-bit), read-only (Privileged spec 3.1.6.2).
const MSTATUS_XL64: u64 = (2 << 32) | (2 << 34);
/// mstatus bits software may write; the others are read-only or computed.
const MSTATUS_WMASK: u64 = MSTATUS_SIE
    | MSTATUS_MIE
    | MSTATUS_SPIE
    | MSTATUS_MPIE
    | MSTATUS_SPP
    | MSTATUS_MPP
    | MSTATUS_FS
    | MSTATUS_MPRV
    | MSTATUS_SUM
    | MSTATUS_MXR
    | MSTATUS_TVM
    | MSTATUS_TW
    | MSTATUS_TSR;
/// The view of mstatus that sstatus gives (Privileged spec 4.1.1).
const SSTATUS_RMASK: u64 = MSTATUS_SIE
    | MSTATUS_SPIE
    | MSTATUS_SPP
    | MSTATUS_FS
    | MSTATUS_XS
    | MSTATUS_SUM
    | MSTATUS_MXR
    | MSTATUS_UXL
    | MSTATUS_SD;
const SSTATUS_WMASK: u64 = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;
/// Whether going from mstatus `old` to `new` changes what a translation
/// yields (MPRV, SUM, MXR, or MPP while MPRV is set), so the TLB must go.
pub fn mstatus_changes_translation(old: u64, new: u64) -> bool {
    let d = old ^ new;
    d & (MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR) != 0 || (d & MSTATUS_MPP != 0 && new & MSTATUS_MPRV != 0)
}

/// misa of RV64IMAFDCSU (Privileged spec 3.1.1); writes are ignored.
pub const MISA: u64 =
    (2 << 62) | ext(b'I') | ext(b'M') | ext(b'A') | ext(b'F') | ext(b'D') | ext(b'C') | ext(b'S') | ext(b'U');
const fn ext(c: u8) -> u64 {
    1 << (c - b'A')
}

/// S-level interrupt bits: SSIP, STIP, SEIP.
pub const S_INTS: u64 = (1 << 1) | (1 << 5) | (1 << 9);
/// Implemented interrupt bits: S- and M-level software, timer, external.
pub const ALL_INTS: u64 = S_INTS | (1 << 3) | (1 << 7) | (1 << 11);
/// Exceptions that medeleg can delegate: all but ecall from M (11) and the
/// hypervisor causes (Privileged spec 3.1.8).
const DELEGABLE_EXCEPTIONS: u64 = 0xb3ff;
/// menvcfg/senvcfg: FIOM, CBIE, CBCFE, CBZE (Privileged spec 3.1.18, 4.1.10).
const ENVCFG_WMASK: u64 = 0xf1;

/// satp MODE values (Privileged spec 4.1.11).
pub const SATP_MODE_BARE: u64 = 0;
pub const SATP_MODE_SV39: u64 = 8;
pub const SATP_MODE_SV48: u64 = 9;
pub const SATP_MODE_SV57: u64 = 10;

/// Extra access condition beyond privilege and read-only bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pred {
    Always,
    /// mstatus.FS != Off.
    Fp,
    /// Counter enable bits in mcounteren/scounteren (Privileged spec 3.1.11, 4.1.5).
    Counter,
    /// satp: TVM traps S-mode accesses (Privileged spec 3.1.6.5).
    Satp,
}

type ReadFn = fn(&Cpu, u16) -> u64;
type WriteFn = fn(&mut Cpu, u16, u64);

/// One CSR.
struct Csr {
    num: u16,
    name: &'static str,
    pred: Pred,
    read: ReadFn,
    /// `None`: writes are ignored (WARL with nothing writable). Read-only
    /// CSRs are recognised by address bits 11:10 instead.
    write: Option<WriteFn>,
}

const fn row(num: u16, name: &'static str, pred: Pred, read: ReadFn, write: Option<WriteFn>) -> Csr {
    Csr { num, name, pred, read, write }
}

/// A row for a CSR that is a plain field of `Csrs`, writable in the bits of `mask`.
macro_rules! field {
    ($num:literal, $name:literal, $field:ident, $mask:expr) => {
        row($num, $name, Pred::Always, |c, _| c.hart.csr.$field, Some(|c, _, v| c.hart.csr.$field = v & $mask))
    };
}

/// A CSR that is a plain field of `Csrs` with no side effects: any
/// privilege at or above its number's (bits 9:8) reads the field and writes
/// `v & mask` to it (`PLAIN`). Engines may do these accesses inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlainCsr {
    pub num: u16,
    /// Byte offset of the field in `Csrs`.
    pub offset: usize,
    pub mask: u64,
}

impl PlainCsr {
    /// The lowest privilege that may access it (Privileged spec 2.1).
    pub fn min_priv(&self) -> u8 {
        ((self.num >> 8) & 3) as u8
    }
}

/// The plain CSR numbered `addr`, if it is one.
pub fn plain(addr: u16) -> Option<&'static PlainCsr> {
    PLAIN.iter().find(|p| p.num == addr)
}

/// Builds the table: the listed rows, the plain fields (rows of `field!`,
/// also listed in `PLAIN`), and the numbered families (hpmcounterN,
/// mhpmcounterN, mhpmeventN for N = 3..31, pmpaddrN for N = 0..15).
macro_rules! csr_table {
    ( rows { $( $row:expr, )* }
      plain { $( $fnum:literal $fname:literal $field:ident $fmask:expr; )* }
      hpm { $( $n:literal )* }
      pmpaddr { $( $p:literal )* } ) => {
        pub static PLAIN: &[PlainCsr] = &[
            $( PlainCsr { num: $fnum, offset: std::mem::offset_of!(crate::hart::Csrs, $field), mask: $fmask }, )*
        ];
        static CSRS: &[Csr] = &[
            $( $row, )*
            $( field!($fnum, $fname, $field, $fmask), )*
            $( row(0xc00 + $n, concat!("hpmcounter", $n), Pred::Counter, read_zero, None), )*
            $( row(0xb00 + $n, concat!("mhpmcounter", $n), Pred::Always, read_zero, None), )*
            $( row(0x320 + $n, concat!("mhpmevent", $n), Pred::Always, read_zero, None), )*
            $( row(0x3b0 + $p, concat!("pmpaddr", $p), Pred::Always, read_pmpaddr, Some(write_pmpaddr)), )*
        ];
    };
}

csr_table! {
    rows {
        // Unprivileged floating-point CSRs (Unprivileged spec 11.2).
        row(0x001, "fflags", Pred::Fp, |c, _| c.hart.csr.fcsr & 0x1f, Some(|c, _, v| set_fcsr(c, 0x1f, v))),
        row(0x002, "frm", Pred::Fp, |c, _| (c.hart.csr.fcsr >> 5) & 7, Some(|c, _, v| set_fcsr(c, 0xe0, v << 5))),
        row(0x003, "fcsr", Pred::Fp, |c, _| c.hart.csr.fcsr & 0xff, Some(|c, _, v| set_fcsr(c, 0xff, v))),
        // Unprivileged counters (Unprivileged spec ch. 10).
        row(0xc00, "cycle", Pred::Counter, read_mcycle, None),
        row(0xc01, "time", Pred::Counter, |c, _| c.clock.mtime(), None),
        row(0xc02, "instret", Pred::Counter, read_minstret, None),
        // Supervisor CSRs (Privileged spec ch. 4.1).
        row(0x100, "sstatus", Pred::Always, |c, a| read_mstatus(c, a) & SSTATUS_RMASK, Some(write_sstatus)),
        row(0x104, "sie", Pred::Always, |c, _| c.hart.csr.mie & c.hart.csr.mideleg, Some(write_sie)),
        row(0x105, "stvec", Pred::Always, |c, _| c.hart.csr.stvec, Some(|c, _, v| write_tvec(c, v, false))),
        field!(0x106, "scounteren", scounteren, 0xffff_ffff),
        field!(0x10a, "senvcfg", senvcfg, ENVCFG_WMASK),
        row(0x144, "sip", Pred::Always, |c, a| read_mip(c, a) & c.hart.csr.mideleg, Some(write_sip)),
        row(0x180, "satp", Pred::Satp, |c, _| c.hart.csr.satp, Some(write_satp)),
        // Machine information registers (Privileged spec 3.1.2-3.1.5, 3.1.17).
        row(0xf11, "mvendorid", Pred::Always, read_zero, None),
        row(0xf12, "marchid", Pred::Always, read_zero, None),
        row(0xf13, "mimpid", Pred::Always, read_zero, None),
        row(0xf14, "mhartid", Pred::Always, |c, _| c.hart.hartid, None),
        row(0xf15, "mconfigptr", Pred::Always, read_zero, None),
        // Machine trap setup and handling (Privileged spec 3.1.6-3.1.16).
        row(0x300, "mstatus", Pred::Always, read_mstatus, Some(write_mstatus)),
        row(0x301, "misa", Pred::Always, |_, _| MISA, None),
        field!(0x302, "medeleg", medeleg, DELEGABLE_EXCEPTIONS),
        field!(0x303, "mideleg", mideleg, S_INTS),
        row(0x304, "mie", Pred::Always, |c, _| c.hart.csr.mie, Some(write_mie)),
        row(0x305, "mtvec", Pred::Always, |c, _| c.hart.csr.mtvec, Some(|c, _, v| write_tvec(c, v, true))),
        field!(0x306, "mcounteren", mcounteren, 0xffff_ffff),
        field!(0x30a, "menvcfg", menvcfg, ENVCFG_WMASK),
        row(0x320, "mcountinhibit", Pred::Always, |c, _| c.hart.csr.mcountinhibit, Some(write_mcountinhibit)),
        row(0x344, "mip", Pred::Always, read_mip, Some(write_mip)),
        // Physical memory protection (Privileged spec 3.7).
        row(0x3a0, "pmpcfg0", Pred::Always, |c, _| c.hart.csr.pmpcfg[0], Some(write_pmpcfg)),
        row(0x3a2, "pmpcfg2", Pred::Always, |c, _| c.hart.csr.pmpcfg[1], Some(write_pmpcfg)),
        // Machine counters (Privileged spec 3.1.11).
        row(0xb00, "mcycle", Pred::Always, read_mcycle, Some(write_mcycle)),
        row(0xb02, "minstret", Pred::Always, read_minstret, Some(write_minstret)),
        // Debug triggers: one trigger that supports nothing, as riscv-tests'
        // breakpoint test probes (writes tselect/tdata1, skips on mismatch).
        row(0x7a0, "tselect", Pred::Always, read_zero, None),
        row(0x7a1, "tdata1", Pred::Always, read_zero, None),
        row(0x7a2, "tdata2", Pred::Always, read_zero, None),
        row(0x7a3, "tdata3", Pred::Always, read_zero, None),
    }
    // Trap handling scratch, cause and value registers (Privileged spec
    // 3.1.14-3.1.17, 4.1.8-4.1.11); xepc bit 0 is always zero (IALIGN=16).
    plain {
        0x140 "sscratch" sscratch u64::MAX;
        0x141 "sepc" sepc !1;
        0x142 "scause" scause u64::MAX;
        0x143 "stval" stval u64::MAX;
        0x340 "mscratch" mscratch u64::MAX;
        0x341 "mepc" mepc !1;
        0x342 "mcause" mcause u64::MAX;
        0x343 "mtval" mtval u64::MAX;
    }
    hpm { 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 }
    pmpaddr { 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 }
}

/// Row index by CSR number (`u16::MAX`: no such CSR).
fn index() -> &'static [u16; 4096] {
    static INDEX: OnceLock<Box<[u16; 4096]>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut ix = Box::new([u16::MAX; 4096]);
        for (i, c) in CSRS.iter().enumerate() {
            ix[usize::from(c.num)] = i as u16;
        }
        ix
    })
}

fn lookup(addr: u16) -> Option<&'static Csr> {
    let i = *index().get(usize::from(addr))?;
    CSRS.get(usize::from(i))
}

/// The name of CSR `addr` as assemblers spell it, for the disassembler and
/// register dumps. `None` for CSRs that this hart does not implement.
pub fn csr_name(addr: u16) -> Option<&'static str> {
    lookup(addr).map(|c| c.name)
}

fn illegal() -> Exception {
    Exception::illegal(0)
}

/// Find CSR `addr` and check that the current privilege may access it
/// (Privileged spec 2.1: bits 9:8 the lowest privilege, bits 11:10 == 3 read-only).
fn check(cpu: &Cpu, addr: u16, write: bool) -> Result<&'static Csr, Exception> {
    let c = lookup(addr).ok_or_else(illegal)?;
    let min_priv = (addr >> 8) & 3;
    if (cpu.hart.prv as u16) < min_priv || (write && (addr >> 10) & 3 == 3) {
        return Err(illegal());
    }
    let ok = match c.pred {
        Pred::Always => true,
        Pred::Fp => cpu.fs_check().is_ok(),
        Pred::Counter => {
            let bit = 1u64 << (addr & 31);
            let csr = &cpu.hart.csr;
            match cpu.hart.prv {
                Priv::M => true,
                Priv::S => csr.mcounteren & bit != 0,
                Priv::U => csr.mcounteren & csr.scounteren & bit != 0,
            }
        }
        Pred::Satp => !(cpu.hart.prv == Priv::S && cpu.hart.csr.mstatus & MSTATUS_TVM != 0),
    };
    if ok {
        Ok(c)
    } else {
        Err(illegal())
    }
}

/// Check that CSR `addr` may be accessed as the instruction will (a write
/// when `write`); the Zicsr handlers call it before any side effect.
pub fn check_access(cpu: &Cpu, addr: u16, write: bool) -> Result<(), Exception> {
    check(cpu, addr, write).map(|_| ())
}

/// Read CSR `addr` as the current privilege may.
pub fn read(cpu: &mut Cpu, addr: u16) -> Result<u64, Exception> {
    let c = check(cpu, addr, false)?;
    Ok((c.read)(cpu, addr))
}

/// Write CSR `addr` as the current privilege may; WARL fields keep legal values.
pub fn write(cpu: &mut Cpu, addr: u16, val: u64) -> Result<(), Exception> {
    let c = check(cpu, addr, true)?;
    if let Some(w) = c.write {
        w(cpu, addr, val);
    }
    Ok(())
}

/// A Zicsr access with one lookup and permission check: read the CSR if
/// `read`, then write `new(old)` if given (old being `rmw_base`). Equal to
/// `check_access`, `read`, `write` in turn, as none of them can change the
/// outcome of the others' checks. Returns the value read (0 if not read).
pub fn read_write(cpu: &mut Cpu, addr: u16, read: bool, new: Option<&dyn Fn(u64) -> u64>) -> Result<u64, Exception> {
    let c = check(cpu, addr, new.is_some())?;
    let old = if read { (c.read)(cpu, addr) } else { 0 };
    if let (Some(f), Some(w)) = (new, c.write) {
        w(cpu, addr, f(rmw_base(cpu, addr, old)));
    }
    Ok(old)
}

/// The value a read-modify-write (csrrs/csrrc) modifies: for mip and sip
/// that is the software-written bits only, not the device lines ORed into
/// what a read returns (Privileged spec 3.1.9, SEIP).
pub fn rmw_base(cpu: &Cpu, addr: u16, read_value: u64) -> u64 {
    match addr {
        0x344 => cpu.hart.csr.mip,
        0x144 => cpu.hart.csr.mip & cpu.hart.csr.mideleg,
        _ => read_value,
    }
}

fn read_zero(_: &Cpu, _: u16) -> u64 {
    0
}

/// Write the fcsr bits in `mask` from `v`; any write makes FS Dirty.
fn set_fcsr(cpu: &mut Cpu, mask: u64, v: u64) {
    cpu.hart.csr.fcsr = (cpu.hart.csr.fcsr & !mask) | (v & mask);
    cpu.fs_dirty();
}

// mcycle and minstret both count retired instructions. A running counter is
// `instret + delta`; while mcountinhibit stops it (Privileged spec 3.1.12),
// `delta` holds its frozen value instead.
const INHIBIT_CY: u64 = 1 << 0;
const INHIBIT_IR: u64 = 1 << 2;

fn counter(cpu: &Cpu, delta: u64, inhibit: u64) -> u64 {
    if cpu.hart.csr.mcountinhibit & inhibit != 0 {
        delta
    } else {
        cpu.hart.instret.wrapping_add(delta)
    }
}

/// The delta that makes a counter read `v` from the next instruction on: the
/// csrw itself retires after the write and must not count (3.1.11).
fn counter_delta(cpu: &Cpu, v: u64, inhibit: u64) -> u64 {
    if cpu.hart.csr.mcountinhibit & inhibit != 0 {
        v
    } else {
        v.wrapping_sub(cpu.hart.instret).wrapping_sub(1)
    }
}

fn read_mcycle(cpu: &Cpu, _: u16) -> u64 {
    counter(cpu, cpu.hart.csr.mcycle_delta, INHIBIT_CY)
}

fn read_minstret(cpu: &Cpu, _: u16) -> u64 {
    counter(cpu, cpu.hart.csr.minstret_delta, INHIBIT_IR)
}

fn write_mcycle(cpu: &mut Cpu, _: u16, v: u64) {
    cpu.hart.csr.mcycle_delta = counter_delta(cpu, v, INHIBIT_CY);
}

fn write_minstret(cpu: &mut Cpu, _: u16, v: u64) {
    cpu.hart.csr.minstret_delta = counter_delta(cpu, v, INHIBIT_IR);
}

/// mcountinhibit bit 1 (TM) is read-only zero. Stopping or restarting a
/// counter converts its delta between the two representations.
fn write_mcountinhibit(cpu: &mut Cpu, _: u16, v: u64) {
    let cy = read_mcycle(cpu, 0);
    let ir = read_minstret(cpu, 0);
    cpu.hart.csr.mcountinhibit = v & 0xffff_fffd;
    cpu.hart.csr.mcycle_delta = counter_delta(cpu, cy, INHIBIT_CY);
    cpu.hart.csr.minstret_delta = counter_delta(cpu, ir, INHIBIT_IR);
}

fn read_mstatus(cpu: &Cpu, _: u16) -> u64 {
    cpu.hart.csr.mstatus
}

/// SD summarises FS/XS == Dirty (Privileged spec 3.1.6.6).
fn with_sd(s: u64) -> u64 {
    if s & MSTATUS_FS == MSTATUS_FS || s & MSTATUS_XS == MSTATUS_XS {
        s | MSTATUS_SD
    } else {
        s & !MSTATUS_SD
    }
}

fn set_mstatus(cpu: &mut Cpu, mask: u64, val: u64) {
    let old = cpu.hart.csr.mstatus;
    let mut new = (old & !mask) | (val & mask);
    // MPP is WARL: the reserved value 2 leaves it unchanged (Privileged spec 3.1.6.1).
    if Priv::from_bits(new >> MSTATUS_MPP_SHIFT).is_none() {
        new = (new & !MSTATUS_MPP) | (old & MSTATUS_MPP);
    }
    new = with_sd((new & MSTATUS_WMASK) | MSTATUS_XL64);
    cpu.hart.csr.mstatus = new;
    if mstatus_changes_translation(old, new) {
        cpu.flush_tlb();
    }
}

fn write_mstatus(cpu: &mut Cpu, _: u16, v: u64) {
    set_mstatus(cpu, MSTATUS_WMASK, v);
}

fn write_sstatus(cpu: &mut Cpu, _: u16, v: u64) {
    set_mstatus(cpu, SSTATUS_WMASK, v);
}

/// mip as software reads it: the writable bits OR the device lines.
pub fn read_mip(cpu: &Cpu, _: u16) -> u64 {
    (cpu.hart.csr.mip | cpu.irq.pending()) & ALL_INTS
}

/// Software can set SSIP, STIP and SEIP; the M-level bits come from devices.
/// (Writes to mie, mip and their S views make the run loop look at
/// interrupts again: `Cpu::irq_quiet`.)
fn write_mip(cpu: &mut Cpu, _: u16, v: u64) {
    cpu.hart.csr.mip = (cpu.hart.csr.mip & !S_INTS) | (v & S_INTS);
    cpu.irq_quiet = false;
}

fn write_mie(cpu: &mut Cpu, _: u16, v: u64) {
    cpu.hart.csr.mie = v & ALL_INTS;
    cpu.irq_quiet = false;
}

/// sie is mie restricted to the delegated interrupts (Privileged spec 4.1.3).
fn write_sie(cpu: &mut Cpu, _: u16, v: u64) {
    let m = cpu.hart.csr.mideleg & S_INTS;
    cpu.hart.csr.mie = (cpu.hart.csr.mie & !m) | (v & m);
    cpu.irq_quiet = false;
}

/// Only SSIP is writable through sip, and only when delegated (Privileged spec 4.1.3).
fn write_sip(cpu: &mut Cpu, _: u16, v: u64) {
    let m = cpu.hart.csr.mideleg & (1 << 1);
    cpu.hart.csr.mip = (cpu.hart.csr.mip & !m) | (v & m);
    cpu.irq_quiet = false;
}

/// xtvec MODE is WARL: direct (0) and vectored (1); other modes leave the
/// register unchanged, as QEMU does (Privileged spec 3.1.7).
fn write_tvec(cpu: &mut Cpu, v: u64, machine: bool) {
    if v & 3 < 2 {
        let csr = &mut cpu.hart.csr;
        *(if machine { &mut csr.mtvec } else { &mut csr.stvec }) = v;
    }
}

/// Unsupported MODE values leave satp unchanged (Privileged spec 4.1.11).
fn write_satp(cpu: &mut Cpu, _: u16, v: u64) {
    let mode = v >> 60;
    if matches!(mode, SATP_MODE_BARE | SATP_MODE_SV39 | SATP_MODE_SV48 | SATP_MODE_SV57) {
        if cpu.hart.csr.satp != v {
            cpu.flush_tlb();
        }
        cpu.hart.csr.satp = v;
    }
}

/// PMP configuration byte of entry `i`.
pub(crate) fn pmpcfg_byte(cpu: &Cpu, i: usize) -> u8 {
    (cpu.hart.csr.pmpcfg[i / 8] >> (8 * (i % 8))) as u8
}

const PMP_R: u8 = 1;
const PMP_W: u8 = 2;
pub(crate) const PMP_L: u8 = 0x80;
pub(crate) const PMP_A_SHIFT: u8 = 3;
pub(crate) const PMP_A_TOR: u8 = 1;

/// pmpcfg0/pmpcfg2: locked entries ignore writes; W=1,R=0 is reserved and
/// keeps the old value; bits 6:5 read zero (Privileged spec 3.7.1).
fn write_pmpcfg(cpu: &mut Cpu, addr: u16, v: u64) {
    let reg = usize::from((addr - 0x3a0) / 2);
    let mut new = cpu.hart.csr.pmpcfg[reg];
    for b in 0..8 {
        let old = pmpcfg_byte(cpu, reg * 8 + b);
        let val = (v >> (8 * b)) as u8 & 0x9f;
        if old & PMP_L != 0 || val & (PMP_R | PMP_W) == PMP_W {
            continue;
        }
        new = (new & !(0xff << (8 * b))) | (u64::from(val) << (8 * b));
    }
    if new != cpu.hart.csr.pmpcfg[reg] {
        cpu.hart.csr.pmpcfg[reg] = new;
        cpu.flush_tlb();
    }
}

fn read_pmpaddr(cpu: &Cpu, addr: u16) -> u64 {
    cpu.hart.csr.pmpaddr[usize::from(addr - 0x3b0)]
}

/// pmpaddrN holds address bits 55:2; a locked entry, or a locked TOR entry
/// above it, ignores writes (Privileged spec 3.7.1, 3.7.2).
fn write_pmpaddr(cpu: &mut Cpu, addr: u16, v: u64) {
    let i = usize::from(addr - 0x3b0);
    if pmpcfg_byte(cpu, i) & PMP_L != 0 {
        return;
    }
    if i + 1 < 16 {
        let next = pmpcfg_byte(cpu, i + 1);
        if next & PMP_L != 0 && (next >> PMP_A_SHIFT) & 3 == PMP_A_TOR {
            return;
        }
    }
    let v = v & ((1 << 54) - 1);
    if cpu.hart.csr.pmpaddr[i] != v {
        cpu.hart.csr.pmpaddr[i] = v;
        cpu.flush_tlb();
    }
}

impl crate::hart::Csrs {
    /// CSR values after reset, as QEMU 7.2 with `-bios none` (Privileged spec 3.4):
    /// M-mode with interrupts off, FS Off, SXL = UXL = 64-bit; the rest zero.
    pub fn reset() -> Self {
        crate::hart::Csrs { mstatus: MSTATUS_XL64, misa: MISA, ..Default::default() }
    }
}

impl Cpu {
    /// Illegal instruction if mstatus.FS is Off (Privileged spec 3.1.6.6).
    /// `tval` is 0; the caller may replace it with the instruction bits.
    pub fn fs_check(&self) -> Result<(), Exception> {
        if self.hart.csr.mstatus & MSTATUS_FS == 0 {
            Err(Exception::new(Cause::IllegalInstruction, 0))
        } else {
            Ok(())
        }
    }

    /// Mark the FP state Dirty: FS = 3 and SD = 1 (Privileged spec 3.1.6.6),
    /// kept in the field so that register dumps and the JIT see it directly.
    pub fn fs_dirty(&mut self) {
        self.hart.csr.mstatus |= MSTATUS_FS | MSTATUS_SD;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bus::{Bus, BusError, Clock, IrqLines, Ram};
    use crate::hart::Hart;

    /// No devices.
    struct NoBus;
    impl Bus for NoBus {
        fn read(&mut self, _: u64, _: u8) -> Result<u64, BusError> {
            Err(BusError::Unmapped)
        }
        fn write(&mut self, _: u64, _: u8, _: u64) -> Result<(), BusError> {
            Err(BusError::Unmapped)
        }
        fn overlaps(&self, _: u64, _: u64) -> bool {
            false
        }
    }

    pub(crate) const RAM_BASE: u64 = 0x8000_0000;

    /// A hart in M-mode with 4 MiB of RAM at 0x8000_0000.
    pub(crate) fn cpu() -> Cpu {
        Cpu::new(Hart::new(0, RAM_BASE), Ram::new(RAM_BASE, 4 << 20), Box::new(NoBus), IrqLines::new(), Clock::new())
    }

    /// What `PLAIN` promises engines, checked through the table itself:
    /// the field at `offset` reads back as the CSR, a write stores exactly
    /// `v & mask` there and nothing else, and below `min_priv` the access is
    /// illegal.
    #[test]
    fn plain_csrs_are_their_fields() {
        let field = |c: &Cpu, p: &PlainCsr| {
            let base = std::ptr::from_ref(&c.hart.csr).cast::<u8>();
            // SAFETY: `offset` is `offset_of!` a `u64` field of `Csrs`
            // (`csr_table!`), so the read is inside `c.hart.csr` and aligned.
            unsafe { base.add(p.offset).cast::<u64>().read() }
        };
        assert_eq!(PLAIN.len(), 8);
        for p in PLAIN {
            let mut c = cpu();
            let before = c.hart.csr.clone();
            let v = 0xdead_beef_f00d_cafb_u64;
            write(&mut c, p.num, v).unwrap();
            assert_eq!(field(&c, p), v & p.mask, "{:#x}", p.num);
            assert_eq!(read(&mut c, p.num), Ok(v & p.mask));
            let mut after = c.hart.csr.clone();
            let base = std::ptr::from_mut(&mut after).cast::<u8>();
            // SAFETY: as above; the field is put back to compare the rest.
            unsafe { base.add(p.offset).cast::<u64>().write(field(&cpu(), p)) };
            assert!(after == before, "{:#x}: only its field changed", p.num);
            c.hart.prv = if p.min_priv() == 3 { Priv::S } else { Priv::U };
            assert_eq!(read(&mut c, p.num).map_err(|e| e.cause), Err(Cause::IllegalInstruction));
        }
        assert_eq!(plain(0x341).map(|p| p.mask), Some(!1));
        assert_eq!(plain(0x300), None, "mstatus has side effects");
    }

    #[test]
    fn names_follow_the_numbers() {
        assert_eq!(csr_name(0x300), Some("mstatus"));
        assert_eq!(csr_name(0x180), Some("satp"));
        assert_eq!(csr_name(0xc03), Some("hpmcounter3"));
        assert_eq!(csr_name(0xc1f), Some("hpmcounter31"));
        assert_eq!(csr_name(0xb1f), Some("mhpmcounter31"));
        assert_eq!(csr_name(0x323), Some("mhpmevent3"));
        assert_eq!(csr_name(0x3bf), Some("pmpaddr15"));
        assert_eq!(csr_name(0x3a1), None, "pmpcfg1 does not exist on RV64");
        assert_eq!(csr_name(0x7c0), None);
        // Every number appears once.
        let mut seen = std::collections::HashSet::new();
        assert!(CSRS.iter().all(|c| seen.insert(c.num)));
    }
}

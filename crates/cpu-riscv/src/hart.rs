//! Architectural state of one hart: one plain `#[repr(C)]` struct so that the
//! JIT can address every field by offset from a pinned host register.

/// Privilege level (Privileged spec 1.2), encoded as in `mstatus.MPP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priv {
    U = 0,
    S = 1,
    M = 3,
}

impl Priv {
    /// Decode a 2-bit privilege field; the reserved value 2 is `None`.
    pub fn from_bits(b: u64) -> Option<Priv> {
        match b & 3 {
            0 => Some(Priv::U),
            1 => Some(Priv::S),
            3 => Some(Priv::M),
            _ => None,
        }
    }
}

/// Control and status registers that hold state of their own. CSRs that are
/// views of others (sstatus, sie, sip, fflags, frm, cycle, ...) are derived
/// in `csr.rs` and have no field here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Csrs {
    pub mstatus: u64,
    pub misa: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mie: u64,
    /// Software-writable pending bits; bits driven by devices come from `IrqLines`.
    pub mip: u64,
    pub mtvec: u64,
    pub mepc: u64,
    pub mcause: u64,
    pub mtval: u64,
    pub mscratch: u64,
    pub mcounteren: u64,
    pub mcountinhibit: u64,
    pub menvcfg: u64,
    pub stvec: u64,
    pub sepc: u64,
    pub scause: u64,
    pub stval: u64,
    pub sscratch: u64,
    pub scounteren: u64,
    pub senvcfg: u64,
    pub satp: u64,
    /// frm (bits 7:5) and fflags (bits 4:0).
    pub fcsr: u64,
    /// pmpcfg0 and pmpcfg2 (RV64 has only the even ones): 16 entries, 8 bits each.
    pub pmpcfg: [u64; 2],
    pub pmpaddr: [u64; 16],
    /// Value minus instret at the last write of mcycle / minstret, so that the
    /// counters keep counting from what the guest wrote.
    pub mcycle_delta: u64,
    pub minstret_delta: u64,
}

/// The hart's architectural state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(C)]
pub struct Hart {
    /// Integer registers; `x[0]` is kept zero.
    pub x: [u64; 32],
    /// FP registers as raw bits; single-precision values are NaN-boxed.
    pub f: [u64; 32],
    pub pc: u64,
    /// The next pc while an instruction executes; jumps and branches write it.
    pub npc: u64,
    /// Instructions retired since reset (drives minstret/mcycle).
    pub instret: u64,
    /// Reserved address of LR/SC, `u64::MAX` when none is held.
    pub reservation: u64,
    pub hartid: u64,
    pub csr: Csrs,
    pub prv: Priv,
    /// Set by `wfi`: the hart waits for an interrupt.
    pub wfi: bool,
}

impl Hart {
    /// The state after reset (Privileged spec 3.4): M-mode, `pc` at `reset_pc`.
    pub fn new(hartid: u64, reset_pc: u64) -> Hart {
        Hart {
            x: [0; 32],
            f: [0; 32],
            pc: reset_pc,
            npc: reset_pc,
            instret: 0,
            reservation: u64::MAX,
            hartid,
            csr: Csrs::reset(),
            prv: Priv::M,
            wfi: false,
        }
    }

    /// Write an integer register; writes to x0 are discarded.
    #[inline(always)]
    pub fn set_x(&mut self, r: u8, v: u64) {
        if r != 0 {
            self.x[r as usize] = v;
        }
    }

    #[inline(always)]
    pub fn get_x(&self, r: u8) -> u64 {
        self.x[r as usize]
    }

    /// QEMU's riscv_cpu_dump_state for a hart without the H extension: pc,
    /// mhartid, the M/S CSRs (`mip` as given: the caller ORs in the device
    /// lines) and the integer registers; with `fpu` (CPU_DUMP_FPU), fcsr and
    /// the FP registers. `-d cpu` and `info registers` both print it.
    pub fn dump_state(&self, mip: u64, fpu: bool) -> String {
        use std::fmt::Write as _;
        let c = &self.csr;
        let mut s = String::new();
        let csrs = [
            ("pc", self.pc),
            ("mhartid", self.hartid),
            ("mstatus", c.mstatus),
            ("mip", mip),
            ("mie", c.mie),
            ("mideleg", c.mideleg),
            ("medeleg", c.medeleg),
            ("mtvec", c.mtvec),
            ("stvec", c.stvec),
            ("mepc", c.mepc),
            ("sepc", c.sepc),
            ("mcause", c.mcause),
            ("scause", c.scause),
            ("mtval", c.mtval),
            ("stval", c.stval),
            ("mscratch", c.mscratch),
            ("sscratch", c.sscratch),
            ("satp", c.satp),
        ];
        for (name, v) in csrs {
            let _ = writeln!(s, " {name:<8} {v:016x}");
        }
        let regs = |s: &mut String, names: &[&str; 32], kind: char, vals: &[u64; 32]| {
            for (i, name) in names.iter().enumerate() {
                let _ = write!(s, " {:<8} {:016x}", format!("{kind}{i}/{name}"), vals[i]);
                if i % 4 == 3 {
                    s.push('\n');
                }
            }
        };
        regs(&mut s, &XREG_NAMES, 'x', &self.x);
        if fpu {
            let _ = writeln!(s, " {:<8} {:016x}", "fcsr", c.fcsr);
            regs(&mut s, &FREG_NAMES, 'f', &self.f);
        }
        s
    }
}

/// ABI names of the integer registers, as objdump and QEMU print them.
pub const XREG_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2",
    "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

/// ABI names of the FP registers.
pub const FREG_NAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

//! Loads that bypass the TLB (`Cpu::direct_reads`): blocks translated
//! while M-mode reads all of RAM plainly must not run that way once the
//! state changes (privilege, MPRV, PMP), and the window ends where RAM
//! does. The interpreter runs alongside as the oracle.

use cpu_riscv::{Cpu, Hart, Stop};
use jit::testprog::{self, run_both, stat, WFI};

const RAM_BASE: u64 = 0x8000_0000;
const RAM_SIZE: usize = 0x10000;
const RAM_END: u64 = RAM_BASE + RAM_SIZE as u64;
const CODE: u64 = RAM_BASE + 0x1000;
/// mcause of a load access fault (Privileged spec 3.1.15).
const LOAD_ACCESS_FAULT: u64 = 5;

/// An interpreter and a JIT machine with `code` at `CODE` (`testprog::pair`).
fn pair(code: &[u32], setup: impl Fn(&mut Hart)) -> [Cpu; 2] {
    testprog::pair(RAM_SIZE, code, CODE, setup)
}

/// The last bytes of RAM load; a load running past its end faults, with
/// the address of the access (Privileged spec 3.1.16), from translated code.
#[test]
fn the_window_ends_where_ram_does() {
    let code = [
        0xff85_b503, // 0x00 ld a0,-8(a1)     the last 8 bytes
        0xffe5_9603, // 0x04 lh a2,-2(a1)     the last 2
        0xffd5_c683, // 0x08 lbu a3,-3(a1)
        0x00d5_0533, // 0x0c add a0,a0,a3
        0xffe5_a703, // 0x10 lw a4,-2(a1)     2 bytes past the end
        WFI,         // 0x14
    ];
    let mut cs = pair(&code, |h| h.x[11] = RAM_END);
    for c in &mut cs {
        c.ram_write(RAM_END - 8, 8, 0x8877_6655_4433_2211).expect("in RAM");
    }
    assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.x[10], 0x8877_6655_4433_2211 + 0x66, "a0");
        assert_eq!(c.hart.x[12], 0xffff_ffff_ffff_8877, "a2: sign-extended");
        assert_eq!(c.hart.csr.mcause, LOAD_ACCESS_FAULT);
        assert_eq!(c.hart.csr.mepc, CODE + 0x10);
        assert_eq!(c.hart.x[14], 0, "a4 not written");
    }
    assert!(stat(&cs[1], "translated") >= 1);
}

/// The window starts where RAM does: a negative offset from a base in RAM
/// reads RAM's first bytes, and one reaching below it faults (generated
/// code takes the offset below RAM's base in two steps).
#[test]
fn the_window_starts_where_ram_does() {
    let code = [
        0xff85_b503, // 0x00 ld a0,-8(a1)     RAM's first 8 bytes
        0xff85_8593, // 0x04 addi a1,a1,-8
        0xfff5_8603, // 0x08 lb a2,-1(a1)     the byte below RAM
        WFI,         // 0x0c
    ];
    let mut cs = pair(&code, |h| h.x[11] = RAM_BASE + 8);
    for c in &mut cs {
        c.ram_write(RAM_BASE, 8, 0x1122_3344_5566_7788).expect("in RAM");
    }
    assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.x[10], 0x1122_3344_5566_7788, "a0");
        assert_eq!(c.hart.csr.mcause, LOAD_ACCESS_FAULT);
        assert_eq!(c.hart.csr.mepc, CODE + 0x08);
        assert_eq!(c.hart.csr.mtval, RAM_BASE - 1);
        assert_eq!(c.hart.x[12], 0, "a2 not written");
    }
    assert!(stat(&cs[1], "translated") >= 1);
}

/// Sv39 tables at `root` mapping the code page to itself and virtual page
/// `v` to physical page `p` (PTE layout: Privileged spec 4.3.1).
fn map(c: &mut Cpu, root: u64, v: u64, p: u64) {
    let (l1, l0) = (root + 0x1000, root + 0x2000);
    let pte = |pa: u64, flags: u64| (pa >> 12) << 10 | flags | 1;
    let (r, w, x, a, d) = (2, 4, 8, 0x40, 0x80);
    let mut put = |at: u64, val: u64| c.ram_write(at, 8, val).expect("in RAM");
    put(root + 8 * 2, pte(l1, 0)); // 0x8000_0000.. (VPN[2] = 2)
    put(l1, pte(l0, 0));
    put(l0 + 8 * ((CODE >> 12) & 0x1ff), pte(CODE, r | x | a));
    put(l0 + 8 * ((v >> 12) & 0x1ff), pte(p, r | w | a | d));
}

/// The block `ld a0,0(a1); add a2,a2,a0` runs first in M-mode (its loads
/// straight from RAM), then again after `how` made loads translated by
/// Sv39, which maps a1's page elsewhere: the second load must read there.
fn loads_follow_translation(how: u32, setup: impl Fn(&mut Hart)) {
    const V: u64 = RAM_BASE + 0x6000; // also where M reads
    const P: u64 = RAM_BASE + 0x7000; // where Sv39 maps V
    let root = RAM_BASE + 0x3000;
    let code = [
        0x0005_b503, // 0x00 ld a0,0(a1)
        0x00a6_0633, // 0x04 add a2,a2,a0
        0x0003_9863, // 0x08 bne t2,zero,0x18
        0x0010_0393, // 0x0c addi t2,zero,1
        how,         // 0x10 mret (to S) or csrs mstatus,a3 (MPRV)
        0xfedf_f06f, // 0x14 jal zero,0x00
        WFI,         // 0x18
    ];
    let mut cs = pair(&code, |h| {
        h.x[11] = V;
        h.csr.satp = 8 << 60 | root >> 12;
        h.csr.mepc = CODE;
        // One NAPOT PMP entry over everything, so that S may access RAM
        // (and M may read all of RAM plainly).
        h.csr.pmpcfg[0] = 0x1f;
        h.csr.pmpaddr[0] = (1 << 54) - 1;
        setup(h);
    });
    for c in &mut cs {
        map(c, root, V, P);
        c.ram_write(V, 8, 5).expect("in RAM");
        c.ram_write(P, 8, 700).expect("in RAM");
    }
    assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.x[12], 5 + 700, "a2: V read plainly, then through Sv39");
    }
}

#[test]
fn loads_follow_a_privilege_change() {
    // mret with MPP = S (Privileged spec 3.3.2).
    loads_follow_translation(0x3020_0073, |h| h.csr.mstatus = 1 << 11);
}

#[test]
fn loads_follow_mprv() {
    // csrs mstatus,a3 with a3 = MPRV | MPP = S (3.1.6.3); then jal back.
    loads_follow_translation(0x3006_a073, |h| {
        h.csr.mstatus = 1 << 11;
        h.x[13] = 1 << 17 | 1 << 11;
    });
}

/// A block whose load ran in M-mode with nothing in PMP's way runs again
/// after the guest locked a PMP entry that denies M reads of that page
/// (3.7.1: locked entries bind M-mode): the load faults.
#[test]
fn loads_follow_a_locked_pmp_entry() {
    locked_pmp_entry(0x0005_b503, LOAD_ACCESS_FAULT, |h| {
        // Entry 0 (off for now): NAPOT over DATA's page; entry 1: all.
        h.csr.pmpaddr[0] = PMP_DATA >> 2 | 0x1ff;
        h.csr.pmpaddr[1] = (1 << 54) - 1;
        h.csr.pmpcfg[0] = 0x1f << 8;
        h.x[13] = 0x1f << 8 | 0x98; // entry 0: locked, NAPOT, no R/W/X
    });
}

/// Stores under the window (guarded, `jit::guard`) follow PMP too: a
/// locked entry that lets M read and run all of RAM but not write it keeps
/// the window for loads, and a store then faults.
#[test]
fn stores_follow_a_locked_read_only_pmp_entry() {
    const STORE_ACCESS_FAULT: u64 = 7;
    locked_pmp_entry(0x00a5_b023, STORE_ACCESS_FAULT, |h| {
        // Entry 0: NAPOT over everything, RWX, not locked (M unrestricted).
        h.csr.pmpaddr[0] = (1 << 54) - 1;
        h.csr.pmpcfg[0] = 0x1f;
        h.x[13] = 0x9d; // then: locked, NAPOT, R and X only
    });
}

/// Where `locked_pmp_entry`'s access goes.
const PMP_DATA: u64 = RAM_BASE + 0x8000;

/// The access `access` (`ld a0,0(a1)` or `sd a0,0(a1)`, a1 = `PMP_DATA`)
/// runs once, then `csrw pmpcfg0,a3` (a3 and the PMP set by `setup`)
/// locks an entry, and the second round's access faults with `cause`.
fn locked_pmp_entry(access: u32, cause: u64, setup: impl Fn(&mut Hart)) {
    let code = [
        access,      // 0x00
        0x0016_0613, // 0x04 addi a2,a2,1
        0x0003_9863, // 0x08 bne t2,zero,0x18
        0x0010_0393, // 0x0c addi t2,zero,1
        0x3a06_9073, // 0x10 csrw pmpcfg0,a3
        0xfedf_f06f, // 0x14 jal zero,0x00
        WFI,         // 0x18
    ];
    let mut cs = pair(&code, |h| {
        h.x[10] = 0x1234;
        h.x[11] = PMP_DATA;
        setup(h);
    });
    assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
    for c in &cs {
        assert_eq!(c.hart.x[12], 1, "a2: the second round faulted at its access");
        assert_eq!(c.hart.csr.mcause, cause);
        assert_eq!(c.hart.csr.mepc, CODE);
        assert_eq!(c.hart.csr.mtval, PMP_DATA);
    }
}

/// Guest RAM in the host's low 2 GiB (`Ram::new`, as machines have it)
/// lets loads reach it with a 32-bit displacement; RAM anywhere else
/// (`Ram::new_anywhere`) with the window's 64-bit addend in a register.
/// Both read what the interpreter reads, up to RAM's last byte.
#[test]
fn the_window_works_wherever_ram_is() {
    use cpu_riscv::Ram;
    let code = [
        0xff85_b503, // 0x00 ld a0,-8(a1)     the last 8 bytes
        0x0005_c683, // 0x04 lbu a3,0(a1)     past the end: a fault
        WFI,         // 0x08
    ];
    let machine = |low: bool, jit: bool| {
        let ram = if low { Ram::new(RAM_BASE, RAM_SIZE) } else { Ram::new_anywhere(RAM_BASE, RAM_SIZE) };
        let mut c = Cpu::with_ram(ram, CODE);
        for (i, w) in code.iter().enumerate() {
            c.ram_write(CODE + 4 * i as u64, 4, u64::from(*w)).expect("code in RAM");
        }
        c.ram_write(testprog::TRAP_VEC, 4, u64::from(WFI)).expect("handler in RAM");
        c.ram_write(RAM_END - 8, 8, 0x8877_6655_4433_2211).expect("in RAM");
        c.hart.csr.mtvec = testprog::TRAP_VEC;
        c.hart.x[11] = RAM_END;
        if jit {
            let mut j = jit::Jit::with_code_size(1 << 20).expect("code buffer");
            j.set_hot_threshold(0);
            c.set_engine(Some(Box::new(j)));
        }
        c
    };
    for low in [true, false] {
        let mut cs = [machine(low, false), machine(low, true)];
        let w = cs[1].direct_reads().expect("M-mode reads all of RAM");
        let near = i32::try_from(w.addend as i64).is_ok();
        assert_eq!(near, low, "RAM placed low: {low}, addend {:#x}", w.addend);
        assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
        for c in &cs {
            assert_eq!(c.hart.x[10], 0x8877_6655_4433_2211, "a0");
            assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc), (LOAD_ACCESS_FAULT, CODE + 4));
        }
        assert!(stat(&cs[1], "translated") >= 1);
    }
}

/// Accesses from one base register share the first one's window check
/// (`translate::mem::plan`): it checks all their bytes, and when that fails
/// it takes its slow path and the block ends, so the others never run
/// unchecked. Either way each access faults or not as itself, with its
/// own pc, as in the interpreter.
#[test]
fn accesses_from_one_base_share_a_check_and_still_fault_alone() {
    const STORE_ACCESS_FAULT: u64 = 7;
    let code = [
        0x0005_b503, // 0x00 ld a0,0(a1)     checks 0(a1)..24(a1)
        0x0085_b603, // 0x04 ld a2,8(a1)     covered
        0x00c5_b823, // 0x08 sd a2,16(a1)    covered
        0x0085_8593, // 0x0c addi a1,a1,8    a new base
        0x0105_b683, // 0x10 ld a3,16(a1)
        WFI,         // 0x14
    ];
    // Both machines with a1 = `a1` and `val` at 8(a1), run to the `wfi`.
    let run = |a1: u64, val: u64| {
        let mut cs = pair(&code, |h| h.x[11] = a1);
        for c in &mut cs {
            c.ram_write(a1 + 8, 8, val).expect("in RAM");
        }
        assert_eq!(run_both(&mut cs, 100), Stop::Wfi);
        cs
    };
    // All three first accesses in RAM, the last one past its end.
    for c in &run(RAM_END - 24, 0x1234) {
        assert_eq!(c.hart.x[12], 0x1234, "a2");
        assert_eq!(c.ram().read(RAM_END - 8, 8), Some(0x1234), "the store");
        assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc), (LOAD_ACCESS_FAULT, CODE + 0x10));
    }
    // The shared check fails (the store is past the end) though the first
    // two loads are in RAM: they load, the store faults.
    for c in &run(RAM_END - 16, 0x5678) {
        assert_eq!(c.hart.x[12], 0x5678, "a2");
        assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc), (STORE_ACCESS_FAULT, CODE + 0x08));
        assert_eq!(c.hart.x[11], RAM_END - 16, "a1: the addi did not run");
    }
}

/// A loop walking a load's and a store's base by `addi` checks them once
/// at its entry for every round it may go before it is entered again
/// (`translate::mem::hoist`), and checks them every round where that is
/// not known to hold (near RAM's ends): walking up or down, one byte at a
/// time or more, going round by itself or through a side exit's short
/// block (`translate::Tail`) that moves the bases, it faults on the first
/// byte past RAM, as the interpreter does, in one run or cut into many.
#[test]
fn a_loop_walking_its_bases_faults_where_ram_ends() {
    use testprog::{b_type, i_type, j_type, s_type};
    for (stride, from, budget) in [
        (1, RAM_BASE + 0x8000, 10_000_000),
        (1, RAM_END - 100, 10_000_000),
        (8, RAM_BASE + 0x8000, 10_000_000),
        (8, RAM_BASE + 0x8000, 100_003),
        (-1, RAM_BASE + 0x8000, 10_000_000),
        (-8, RAM_BASE + 0x8000, 7_777),
        (2040, RAM_BASE + 0x6000, 10_000_000),
    ] {
        let round = [
            i_type(0, 11, 4, 5, 0x03),       // 0x00 lbu t0,0(a1)
            0x0055_0533,                     // 0x04 add a0,a0,t0
            s_type(0, 5, 12, 0),             // 0x08 sb t0,0(a2)
            i_type(stride, 11, 0, 11, 0x13), // 0x0c addi a1,a1,stride
            i_type(stride, 12, 0, 12, 0x13), // 0x10 addi a2,a2,stride
            b_type(-0x14, 13, 11, 1),        // 0x14 bne a1,a3,0x00
            WFI,                             // 0x18
        ];
        let tail = [
            i_type(0, 11, 4, 5, 0x03),       // 0x00 lbu t0,0(a1)
            s_type(0, 5, 12, 0),             // 0x04 sb t0,0(a2)
            b_type(0x14, 11, 13, 1),         // 0x08 bne a3,a1,0x1c
            0x0055_0533,                     // 0x0c add a0,a0,t0
            0x0055_0533,                     // 0x10 add a0,a0,t0
            0x0055_0533,                     // 0x14 add a0,a0,t0 (room for the tail)
            WFI,                             // 0x18
            i_type(stride, 11, 0, 11, 0x13), // 0x1c addi a1,a1,stride
            i_type(stride, 12, 0, 12, 0x13), // 0x20 addi a2,a2,stride
            j_type(-0x24, 0),                // 0x24 j 0x00
        ];
        // FP accesses from the same base, the fld's bytes past the lbu's.
        let fp = [
            i_type(0, 11, 4, 5, 0x03),          // 0x00 lbu t0,0(a1)
            i_type(8, 11, 3, 0, 0x07),          // 0x04 fld ft0,8(a1)
            s_type(0, 0, 12, 3) & !0x7f | 0x27, // 0x08 fsd ft0,0(a2)
            i_type(stride, 11, 0, 11, 0x13),    // 0x0c addi a1,a1,stride
            i_type(stride, 12, 0, 12, 0x13),    // 0x10 addi a2,a2,stride
            b_type(-0x14, 13, 11, 1),           // 0x14 bne a1,a3,0x00
            WFI,                                // 0x18
        ];
        for (shape, code) in [("round", &round[..]), ("tail", &tail[..]), ("fp", &fp[..])] {
            // The stores 0x4000 behind the loads walking up, ahead walking
            // down: in RAM, away from the code, until the loads fault.
            let behind = if stride > 0 { -0x4000 } else { 0x4000 };
            let mut cs = pair(code, |h| {
                h.x[11] = from;
                h.x[12] = from.wrapping_add_signed(behind);
                h.x[13] = 1; // never met
                             // FP on, in the state its fast paths need (NX accrued, RNE).
                h.csr.mstatus |= 3 << 13 | 1 << 63; // FS Dirty, so SD
                h.csr.fcsr = 1;
            });
            for c in &mut cs {
                for k in (0x2000..RAM_SIZE as u64).step_by(8) {
                    c.ram_write(RAM_BASE + k, 8, k.wrapping_mul(0x9e37_79b9_7f4a_7c15)).expect("in RAM");
                }
            }
            let what = format!("{shape}: stride {stride}, from {from:#x}, budget {budget}");
            while run_both(&mut cs, budget) == Stop::Budget {}
            // The first byte the walk meets past RAM (Privileged spec 3.1.16: mtval).
            let s = stride.unsigned_abs() as u64;
            let first_out = match stride > 0 {
                true => from + (RAM_END - from).div_ceil(s) * s,
                false => from - ((from - RAM_BASE) / s + 1) * s,
            };
            for c in &cs {
                assert_eq!(c.hart.csr.mcause, LOAD_ACCESS_FAULT, "{what}");
                // (The fld, 8 bytes on, meets the end first walking up.)
                if shape != "fp" || stride < 0 {
                    assert_eq!((c.hart.csr.mepc, c.hart.csr.mtval), (CODE, first_out), "{what}");
                }
            }
            // (2040 bytes a round, for all the rounds one entry may go, is
            // more than all of RAM: checked every round.)
            let hoisted = stat(&cs[1], "hoisting_loops") >= 1;
            assert_eq!(hoisted, s <= 8, "{what}: checked at the loop's entry");
        }
    }
}

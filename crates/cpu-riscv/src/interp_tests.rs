//! Tests of the interpreter core: RV64IMA semantics, memory paths (TLB,
//! misaligned, MMIO overlay, faults), the block cache (SMC, fence.i) and the
//! run loop (budget, exit request, traps). Programs are built with a tiny
//! encoder over `ops::OPS` and go through the real decoder.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use crate::bus::{Bus, BusError, Clock, IrqLines, Ram};
use crate::cpu::{Cpu, Stop};
use crate::hart::Hart;
use crate::ops::Op;
use crate::trap::{Cause, Exception};

pub(crate) const BASE: u64 = 0x8000_0000;
const RAM_SIZE: usize = 0x10_0000;
const RAM_END: u64 = BASE + RAM_SIZE as u64;
/// A device region outside RAM.
const DEV: u64 = 0x1000_0000;
/// A device overlaying 16 bytes of RAM (as HTIF's tohost on `spike`).
const OVERLAY: u64 = BASE + 0x4_0000;
/// A device overlaying 8 bytes in the middle of a RAM page.
const MID_OVERLAY: u64 = BASE + 0x5_0800;
/// A read-only "ROM" device holding code.
const ROM: u64 = 0x2000;

#[derive(Default)]
struct Shared {
    mem: HashMap<u64, u8>,
    log: Vec<(char, u64, u8, u64)>,
    rom: Vec<u8>,
}

/// Byte-addressed fake devices that record every access.
struct FakeBus(Arc<Mutex<Shared>>);

impl Bus for FakeBus {
    fn read(&mut self, addr: u64, size: u8) -> Result<u64, BusError> {
        let mut s = self.0.lock().unwrap();
        let mut v = 0;
        for i in 0..u64::from(size) {
            let a = addr + i;
            let b = if (ROM..ROM + 0x100).contains(&a) {
                s.rom.get((a - ROM) as usize).copied().unwrap_or(0)
            } else {
                s.mem.get(&a).copied().unwrap_or(0)
            };
            v |= u64::from(b) << (8 * i);
        }
        s.log.push(('r', addr, size, v));
        Ok(v)
    }
    fn write(&mut self, addr: u64, size: u8, val: u64) -> Result<(), BusError> {
        let mut s = self.0.lock().unwrap();
        if (ROM..ROM + 0x100).contains(&addr) {
            return Err(BusError::Denied);
        }
        for i in 0..u64::from(size) {
            s.mem.insert(addr + i, (val >> (8 * i)) as u8);
        }
        s.log.push(('w', addr, size, val));
        Ok(())
    }
    fn overlaps(&self, addr: u64, len: u64) -> bool {
        let end = addr.saturating_add(len);
        [(DEV, 0x100), (OVERLAY, 16), (MID_OVERLAY, 8), (ROM, 0x100)].iter().any(|&(b, l)| addr < b + l && b < end)
    }
}

fn cpu() -> (Cpu, Arc<Mutex<Shared>>) {
    let shared = Arc::new(Mutex::new(Shared::default()));
    let bus = Box::new(FakeBus(shared.clone()));
    let cpu = Cpu::new(Hart::new(0, BASE), Ram::new(BASE, RAM_SIZE), bus, IrqLines::new(), Clock::new());
    (cpu, shared)
}

// ---- a tiny encoder over the op table ----

pub(crate) fn bits(op: Op) -> u32 {
    op.info().unwrap().bits
}
fn r(op: Op, rd: u32, rs1: u32, rs2: u32) -> u32 {
    bits(op) | rd << 7 | rs1 << 15 | rs2 << 20
}
pub(crate) fn i(op: Op, rd: u32, rs1: u32, imm: i32) -> u32 {
    bits(op) | rd << 7 | rs1 << 15 | ((imm as u32) & 0xfff) << 20
}
pub(crate) fn s(op: Op, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    bits(op) | (imm & 0x1f) << 7 | rs1 << 15 | rs2 << 20 | (imm >> 5 & 0x7f) << 25
}
pub(crate) fn b(op: Op, rs1: u32, rs2: u32, off: i32) -> u32 {
    let o = off as u32;
    bits(op)
        | (o >> 11 & 1) << 7
        | (o >> 1 & 0xf) << 8
        | rs1 << 15
        | rs2 << 20
        | (o >> 5 & 0x3f) << 25
        | (o >> 12 & 1) << 31
}
fn u(op: Op, rd: u32, imm: i32) -> u32 {
    bits(op) | rd << 7 | (imm as u32 & 0xffff_f000)
}
pub(crate) fn j(rd: u32, off: i32) -> u32 {
    let o = off as u32;
    bits(Op::Jal)
        | rd << 7
        | (o >> 12 & 0xff) << 12
        | (o >> 11 & 1) << 20
        | (o >> 1 & 0x3ff) << 21
        | (o >> 20 & 1) << 31
}
const ECALL: u32 = 0x0000_0073;

pub(crate) fn load_code(cpu: &mut Cpu, at: u64, code: &[u32]) {
    for (k, w) in code.iter().enumerate() {
        cpu.ram.write(at + 4 * k as u64, 4, u64::from(*w)).unwrap();
    }
}

/// Execute one instruction at `BASE` with the given registers set.
fn exec(cpu: &mut Cpu, raw: u32, regs: &[(usize, u64)]) -> Result<(), Exception> {
    for &(reg, v) in regs {
        cpu.hart.x[reg] = v;
    }
    cpu.hart.pc = BASE;
    cpu.ram.write(BASE, 4, u64::from(raw)).unwrap();
    cpu.step()
}

/// rd (x3) after `op x3, x1, x2` with x1 = a, x2 = b.
fn rr(op: Op, a: u64, bv: u64) -> u64 {
    let (mut c, _) = cpu();
    exec(&mut c, r(op, 3, 1, 2), &[(1, a), (2, bv)]).unwrap();
    c.hart.x[3]
}

/// rd (x3) after `op x3, x1, imm` with x1 = a.
fn ri(op: Op, a: u64, imm: i32) -> u64 {
    let (mut c, _) = cpu();
    exec(&mut c, i(op, 3, 1, imm), &[(1, a)]).unwrap();
    c.hart.x[3]
}

const MIN: u64 = 1 << 63;
const M1: u64 = u64::MAX;

#[test]
fn alu_register_ops() {
    assert_eq!(rr(Op::Add, M1, 2), 1);
    assert_eq!(rr(Op::Sub, 0, 1), M1);
    assert_eq!(rr(Op::Slt, M1, 0), 1);
    assert_eq!(rr(Op::Sltu, M1, 0), 0);
    assert_eq!(rr(Op::Xor, 0xf0, 0xff), 0x0f);
    assert_eq!(rr(Op::Or, 0xf0, 0x0f), 0xff);
    assert_eq!(rr(Op::And, 0xf0, 0x3c), 0x30);
    // shift amounts use the low 6 bits
    assert_eq!(rr(Op::Sll, 1, 65), 2);
    assert_eq!(rr(Op::Srl, MIN, 127), 1);
    assert_eq!(rr(Op::Sra, MIN, 63), M1);
    assert_eq!(rr(Op::Sra, 0x4000_0000_0000_0000, 62), 1);
}

#[test]
fn alu_word_ops_sign_extend() {
    assert_eq!(rr(Op::Addw, 0x7fff_ffff, 1), 0xffff_ffff_8000_0000);
    assert_eq!(rr(Op::Addw, 0xdead_0000_0000_0001, 1), 2);
    assert_eq!(rr(Op::Subw, 0, 1), M1);
    assert_eq!(rr(Op::Sllw, 1, 31), 0xffff_ffff_8000_0000);
    assert_eq!(rr(Op::Sllw, 1, 33), 2); // low 5 bits
    assert_eq!(rr(Op::Srlw, 0xffff_ffff_8000_0000, 31), 1);
    assert_eq!(rr(Op::Srlw, 0x8000_0000, 0), 0xffff_ffff_8000_0000);
    assert_eq!(rr(Op::Sraw, 0x8000_0000, 4), 0xffff_ffff_f800_0000);
    assert_eq!(ri(Op::Addiw, 0x7fff_ffff, 1), 0xffff_ffff_8000_0000);
    assert_eq!(ri(Op::Slliw, 3, 30), 0xffff_ffff_c000_0000);
    assert_eq!(ri(Op::Srliw, M1, 28), 0xf);
    assert_eq!(ri(Op::Sraiw, 0x8000_0000, 31), M1);
}

#[test]
fn alu_immediate_ops() {
    assert_eq!(ri(Op::Addi, 5, -6), M1);
    assert_eq!(ri(Op::Slti, M1, 0), 1);
    assert_eq!(ri(Op::Sltiu, 5, -1), 1); // imm sign-extends to 2^64-1, then compares unsigned
    assert_eq!(ri(Op::Xori, 0, -1), M1);
    assert_eq!(ri(Op::Ori, 0x100, 0x0f), 0x10f);
    assert_eq!(ri(Op::Andi, M1, 0x7ff), 0x7ff);
    assert_eq!(ri(Op::Slli, 1, 63), MIN);
    assert_eq!(ri(Op::Srli, MIN, 63), 1);
    assert_eq!(ri(Op::Srai, MIN, 63), M1);
}

#[test]
fn lui_auipc_and_x0() {
    let (mut c, _) = cpu();
    exec(&mut c, u(Op::Lui, 5, 0x8000_0000u32 as i32), &[]).unwrap();
    assert_eq!(c.hart.x[5], 0xffff_ffff_8000_0000);
    exec(&mut c, u(Op::Auipc, 6, 0x1000), &[]).unwrap();
    assert_eq!(c.hart.x[6], BASE + 0x1000);
    exec(&mut c, i(Op::Addi, 0, 1, 5), &[(1, 7)]).unwrap();
    assert_eq!(c.hart.x[0], 0);
    exec(&mut c, u(Op::Lui, 0, 0x1000), &[]).unwrap();
    assert_eq!(c.hart.x[0], 0);
    assert_eq!(c.hart.instret, 4);
}

#[test]
fn mul_high_parts() {
    let cases: [(u64, u64); 6] =
        [(M1, M1), (MIN, MIN), (MIN, M1), (0x1234_5678_9abc_def0, 0xfedc_ba98_7654_3210), (3, MIN), (M1, 7)];
    for (a, bv) in cases {
        assert_eq!(rr(Op::Mul, a, bv), a.wrapping_mul(bv));
        let sh = ((a as i64 as i128) * (bv as i64 as i128)) >> 64;
        assert_eq!(rr(Op::Mulh, a, bv), sh as u64, "mulh {a:x} {bv:x}");
        let su = ((a as i64 as i128) * (bv as i128)) >> 64;
        assert_eq!(rr(Op::Mulhsu, a, bv), su as u64, "mulhsu {a:x} {bv:x}");
        let uu = ((a as u128) * (bv as u128)) >> 64;
        assert_eq!(rr(Op::Mulhu, a, bv), uu as u64, "mulhu {a:x} {bv:x}");
    }
    assert_eq!(rr(Op::Mulh, M1, 1), M1); // -1 * 1 = -1: high part all ones
    assert_eq!(rr(Op::Mulhsu, M1, 1), M1);
    assert_eq!(rr(Op::Mulhu, M1, 1), 0);
    assert_eq!(rr(Op::Mulw, 0x1_0000_0003, 0x7fff_ffff), 0x7fff_fffd);
    assert_eq!(rr(Op::Mulw, 0x10000, 0x8000), 0xffff_ffff_8000_0000);
}

/// Unprivileged spec table 7.1: division by zero and overflow.
#[test]
fn division_corner_cases() {
    assert_eq!(rr(Op::Div, 7, 0), M1);
    assert_eq!(rr(Op::Divu, 7, 0), M1);
    assert_eq!(rr(Op::Rem, 7, 0), 7);
    assert_eq!(rr(Op::Remu, 7, 0), 7);
    assert_eq!(rr(Op::Div, MIN, M1), MIN);
    assert_eq!(rr(Op::Rem, MIN, M1), 0);
    assert_eq!(rr(Op::Div, -7i64 as u64, 2), -3i64 as u64); // rounds toward zero
    assert_eq!(rr(Op::Rem, -7i64 as u64, 2), M1); // sign of dividend
    assert_eq!(rr(Op::Divu, M1, 2), M1 / 2);
    assert_eq!(rr(Op::Remu, M1, 10), M1 % 10);
    // W forms: 32-bit operands, sign-extended 32-bit results
    assert_eq!(rr(Op::Divw, 7, 0), M1);
    assert_eq!(rr(Op::Divuw, 7, 0), M1);
    assert_eq!(rr(Op::Remw, 0xffff_ffff_8000_0000, 0), 0xffff_ffff_8000_0000);
    assert_eq!(rr(Op::Remuw, 0x1_8000_0000, 0), 0xffff_ffff_8000_0000);
    assert_eq!(rr(Op::Divw, 0x8000_0000, 0xffff_ffff), 0xffff_ffff_8000_0000);
    assert_eq!(rr(Op::Remw, 0x8000_0000, 0xffff_ffff), 0);
    assert_eq!(rr(Op::Divuw, 0x8000_0000, 1), 0xffff_ffff_8000_0000);
    assert_eq!(rr(Op::Divuw, 0xffff_ffff, 0x1_0000_0002), 0x7fff_ffff); // upper bits ignored
    assert_eq!(rr(Op::Remuw, 0xffff_ffff, 0x10), 0xf);
    assert_eq!(rr(Op::Divw, -9i64 as u64, 2), -4i64 as u64);
}

#[test]
fn jumps_and_branches() {
    let (mut c, _) = cpu();
    exec(&mut c, j(1, 0x100), &[]).unwrap();
    assert_eq!((c.hart.pc, c.hart.x[1]), (BASE + 0x100, BASE + 4));
    exec(&mut c, j(0, -8), &[]).unwrap();
    assert_eq!(c.hart.pc, BASE - 8);
    // jalr: target computed from the old rs1 before rd (= rs1) is written; bit 0 cleared
    exec(&mut c, i(Op::Jalr, 5, 5, 3), &[(5, BASE + 0x40)]).unwrap();
    assert_eq!((c.hart.pc, c.hart.x[5]), (BASE + 0x42, BASE + 4));
    for (op, a, bv, taken) in [
        (Op::Beq, 1, 1, true),
        (Op::Beq, 1, 2, false),
        (Op::Bne, 1, 2, true),
        (Op::Blt, M1, 0, true),
        (Op::Bltu, M1, 0, false),
        (Op::Bge, 0, M1, true),
        (Op::Bge, 5, 5, true),
        (Op::Bgeu, 0, M1, false),
        (Op::Bgeu, M1, M1, true),
    ] {
        exec(&mut c, b(op, 1, 2, -16), &[(1, a), (2, bv)]).unwrap();
        let want = if taken { BASE - 16 } else { BASE + 4 };
        assert_eq!(c.hart.pc, want, "{op:?} {a:x} {bv:x}");
    }
}

#[test]
fn loads_sign_and_zero_extend() {
    let (mut c, _) = cpu();
    c.ram.write(BASE + 0x100, 8, 0x8182_8384_8586_8788).unwrap();
    let ld = |c: &mut Cpu, op: Op, off: i32| {
        exec(c, i(op, 3, 1, off), &[(1, BASE + 0x100)]).unwrap();
        c.hart.x[3]
    };
    assert_eq!(ld(&mut c, Op::Lb, 0), 0xffff_ffff_ffff_ff88);
    assert_eq!(ld(&mut c, Op::Lbu, 0), 0x88);
    assert_eq!(ld(&mut c, Op::Lh, 2), 0xffff_ffff_ffff_8586);
    assert_eq!(ld(&mut c, Op::Lhu, 2), 0x8586);
    assert_eq!(ld(&mut c, Op::Lw, 4), 0xffff_ffff_8182_8384);
    assert_eq!(ld(&mut c, Op::Lwu, 4), 0x8182_8384);
    assert_eq!(ld(&mut c, Op::Ld, 0), 0x8182_8384_8586_8788);
    // second time through the TLB fast path, same answer
    assert_eq!(ld(&mut c, Op::Lw, 4), 0xffff_ffff_8182_8384);
    assert_eq!(ld(&mut c, Op::Lh, 1), 0xffff_ffff_ffff_8687); // misaligned within a page
}

#[test]
fn stores_write_size_bytes() {
    let (mut c, _) = cpu();
    let a = BASE + 0x200;
    c.ram.write(a, 8, M1).unwrap();
    exec(&mut c, s(Op::Sb, 1, 2, 0), &[(1, a), (2, 0x1234_5678_9abc_def0)]).unwrap();
    assert_eq!(c.ram.read(a, 8), Some(0xffff_ffff_ffff_fff0));
    exec(&mut c, s(Op::Sh, 1, 2, 2), &[]).unwrap();
    assert_eq!(c.ram.read(a, 8), Some(0xffff_ffff_def0_fff0));
    exec(&mut c, s(Op::Sw, 1, 2, 4), &[]).unwrap();
    assert_eq!(c.ram.read(a, 8), Some(0x9abc_def0_def0_fff0));
    exec(&mut c, s(Op::Sd, 1, 2, 8), &[]).unwrap();
    assert_eq!(c.ram.read(a + 8, 8), Some(0x1234_5678_9abc_def0));
    exec(&mut c, s(Op::Sd, 1, 2, -3), &[]).unwrap(); // misaligned
    assert_eq!(c.ram.read(a - 3, 8), Some(0x1234_5678_9abc_def0));
}

#[test]
fn misaligned_access_across_pages() {
    let (mut c, _) = cpu();
    let a = BASE + 0x3000 - 3;
    c.store(a, 8, 0x0102_0304_0506_0708).unwrap();
    assert_eq!(c.ram.read(BASE + 0x3000 - 3, 1), Some(0x08));
    assert_eq!(c.ram.read(BASE + 0x3000, 4), Some(0x0203_0405));
    assert_eq!(c.load(a, 8), Ok(0x0102_0304_0506_0708));
    assert_eq!(c.load(a + 1, 4), Ok(0x0405_0607));
    assert_eq!(c.load(BASE + 0x3000 - 1, 2), Ok(0x0506));
}

#[test]
fn access_faults_report_the_faulting_portion() {
    let (mut c, _) = cpu();
    assert_eq!(c.load(0x4000, 4), Err(Exception::new(Cause::LoadAccessFault, 0x4000)));
    assert_eq!(c.store(0x4000, 8, 1), Err(Exception::new(Cause::StoreAccessFault, 0x4000)));
    // the second half lies past the end of RAM: its address is reported and
    // the first half is not written (precise)
    c.ram.write(RAM_END - 4, 4, 0xaabb_ccdd).unwrap();
    assert_eq!(c.load(RAM_END - 4, 8), Err(Exception::new(Cause::LoadAccessFault, RAM_END)));
    assert_eq!(c.store(RAM_END - 4, 8, 0), Err(Exception::new(Cause::StoreAccessFault, RAM_END)));
    assert_eq!(c.ram.read(RAM_END - 4, 4), Some(0xaabb_ccdd));
    // through an instruction: the trap is taken, rd unchanged, not retired
    c.hart.csr.mtvec = BASE + 0x800;
    let e = exec(&mut c, i(Op::Ld, 3, 1, 0), &[(1, 0x10), (3, 99)]).unwrap_err();
    assert_eq!(e, Exception::new(Cause::LoadAccessFault, 0x10));
    assert_eq!((c.hart.x[3], c.hart.instret, c.hart.pc), (99, 0, BASE + 0x800));
    assert_eq!((c.hart.csr.mepc, c.hart.csr.mcause, c.hart.csr.mtval), (BASE, 5, 0x10));
}

#[test]
fn mmio_overlay_and_devices() {
    let (mut c, dev) = cpu();
    // Fill the TLB for the page holding the overlay through plain RAM first.
    c.ram.write(OVERLAY - 8, 8, 0x55).unwrap();
    assert_eq!(c.load(OVERLAY - 8, 8), Ok(0x55));
    c.store(OVERLAY - 8, 8, 0x66).unwrap();
    c.store(OVERLAY, 8, 0xdead_beef_0bad_f00d).unwrap();
    assert_eq!(c.ram.read(OVERLAY, 8), Some(0), "write went to RAM under the device");
    assert_eq!(dev.lock().unwrap().log.last(), Some(&('w', OVERLAY, 8, 0xdead_beef_0bad_f00d)));
    assert_eq!(c.load(OVERLAY, 4), Ok(0x0bad_f00d));
    // device outside RAM, misaligned: split into bytes for the device
    dev.lock().unwrap().log.clear();
    c.store(DEV + 1, 4, 0x4433_2211).unwrap();
    let log = dev.lock().unwrap().log.clone();
    assert_eq!(
        log,
        vec![
            ('w', DEV + 1, 1, 0x4433_2211),
            ('w', DEV + 2, 1, 0x44_3322),
            ('w', DEV + 3, 1, 0x4433),
            ('w', DEV + 4, 1, 0x44)
        ]
    );
    assert_eq!(c.load(DEV + 1, 4), Ok(0x4433_2211));
    assert_eq!(c.load(DEV, 8), Ok(0x44_3322_1100));
    assert_eq!(c.phys_read(DEV + 2, 1), Ok(0x22));
    assert_eq!(c.phys_read(0x4000, 1), Err(BusError::Unmapped));
    assert_eq!(c.store(ROM, 4, 0), Err(Exception::new(Cause::StoreAccessFault, ROM)));
}

#[test]
fn lr_sc() {
    let (mut c, _) = cpu();
    let a = BASE + 0x100;
    c.ram.write(a, 8, 0x8000_0001).unwrap();
    let lr_w = r(Op::LrW, 3, 1, 0);
    let sc_w = r(Op::ScW, 4, 1, 2);
    exec(&mut c, lr_w, &[(1, a), (2, 0x77)]).unwrap();
    assert_eq!(c.hart.x[3], 0xffff_ffff_8000_0001);
    assert_eq!(c.hart.reservation, a);
    exec(&mut c, sc_w, &[]).unwrap();
    assert_eq!((c.hart.x[4], c.ram.read(a, 8)), (0, Some(0x77)));
    exec(&mut c, sc_w, &[(2, 0x99)]).unwrap(); // reservation is gone
    assert_eq!((c.hart.x[4], c.ram.read(a, 8)), (1, Some(0x77)));
    // a reservation on another address does not let SC succeed, and is cleared
    exec(&mut c, r(Op::LrD, 3, 1, 0), &[(1, a + 8)]).unwrap();
    exec(&mut c, r(Op::ScD, 4, 1, 2), &[(1, a)]).unwrap();
    assert_eq!((c.hart.x[4], c.ram.read(a, 8), c.hart.reservation), (1, Some(0x77), u64::MAX));
    exec(&mut c, r(Op::LrD, 3, 1, 0), &[(1, a)]).unwrap();
    exec(&mut c, r(Op::ScD, 4, 1, 2), &[(2, 0x1_2345_6789)]).unwrap();
    assert_eq!((c.hart.x[4], c.ram.read(a, 8)), (0, Some(0x1_2345_6789)));
    // misaligned: LR load-misaligned, SC store-misaligned, tval = address
    assert_eq!(exec(&mut c, lr_w, &[(1, a + 2)]), Err(Exception::new(Cause::LoadMisaligned, a + 2)));
    c.hart.reservation = a + 4;
    assert_eq!(exec(&mut c, r(Op::ScD, 4, 1, 2), &[(1, a + 4)]), Err(Exception::new(Cause::StoreMisaligned, a + 4)));
}

#[test]
fn amos() {
    let a = BASE + 0x100;
    // (op, memory before, rs2, memory after); rd must get the old value (sign-extended for W)
    let w = [
        (Op::AmoswapW, 0x8000_0000u64, 5u64, 5u64),
        (Op::AmoaddW, 0xffff_ffff, 2, 1),
        (Op::AmoxorW, 0xf0f0, 0xff, 0xf00f),
        (Op::AmoandW, 0xf0f0, 0xff, 0xf0),
        (Op::AmoorW, 0xf0f0, 0xf, 0xf0ff),
        (Op::AmominW, 0xffff_fffe, 1, 0xffff_fffe), // -2 < 1
        (Op::AmomaxW, 0xffff_fffe, 1, 1),
        (Op::AmominuW, 0xffff_fffe, 1, 1),
        (Op::AmomaxuW, 0xffff_fffe, 1, 0xffff_fffe),
        (Op::AmominW, 5, 0xffff_ffff_0000_0003, 3), // only the low 32 bits of rs2 count
    ];
    for (op, before, src, after) in w {
        let (mut c, _) = cpu();
        c.ram.write(a, 8, 0x1111_1111_0000_0000 | before).unwrap();
        exec(&mut c, r(op, 3, 1, 2), &[(1, a), (2, src)]).unwrap();
        assert_eq!(c.hart.x[3], before as u32 as i32 as i64 as u64, "{op:?} rd");
        assert_eq!(c.ram.read(a, 8), Some(0x1111_1111_0000_0000 | after), "{op:?} memory");
    }
    let d = [
        (Op::AmoswapD, MIN, 5u64, 5u64),
        (Op::AmoaddD, M1, 2, 1),
        (Op::AmoxorD, 0xf0f0, 0xff, 0xf00f),
        (Op::AmoandD, 0xf0f0, 0xff, 0xf0),
        (Op::AmoorD, 0xf0f0, 0xf, 0xf0ff),
        (Op::AmominD, M1, 1, M1),
        (Op::AmomaxD, M1, 1, 1),
        (Op::AmominuD, M1, 1, 1),
        (Op::AmomaxuD, M1, 1, M1),
        (Op::AmomaxD, MIN, 0x7fff_ffff_ffff_ffff, 0x7fff_ffff_ffff_ffff),
    ];
    for (op, before, src, after) in d {
        let (mut c, _) = cpu();
        c.ram.write(a, 8, before).unwrap();
        exec(&mut c, r(op, 3, 1, 2), &[(1, a), (2, src)]).unwrap();
        assert_eq!((c.hart.x[3], c.ram.read(a, 8)), (before, Some(after)), "{op:?}");
    }
    // rd = rs2: the source is read before rd is written
    let (mut c, _) = cpu();
    c.ram.write(a, 8, 10).unwrap();
    exec(&mut c, r(Op::AmoaddD, 2, 1, 2), &[(1, a), (2, 5)]).unwrap();
    assert_eq!((c.hart.x[2], c.ram.read(a, 8)), (10, Some(15)));
    // misaligned and unmapped AMOs are store/AMO exceptions
    assert_eq!(
        exec(&mut c, r(Op::AmoaddW, 3, 1, 2), &[(1, a + 2)]),
        Err(Exception::new(Cause::StoreMisaligned, a + 2))
    );
    assert_eq!(exec(&mut c, r(Op::AmoorD, 3, 1, 2), &[(1, 0x40)]), Err(Exception::new(Cause::StoreAccessFault, 0x40)));
    // on a device: read then write through the bus
    exec(&mut c, r(Op::AmoaddW, 3, 1, 2), &[(1, DEV), (2, 7)]).unwrap();
    exec(&mut c, r(Op::AmoaddW, 3, 1, 2), &[(1, DEV), (2, 7)]).unwrap();
    assert_eq!((c.hart.x[3], c.phys_read(DEV, 4)), (7, Ok(14)));
}

#[test]
fn fetch_faults_and_device_code() {
    let (mut c, dev) = cpu();
    c.hart.csr.mtvec = BASE + 0x800;
    c.hart.pc = 0x4000;
    assert_eq!(c.step(), Err(Exception::new(Cause::InstructionAccessFault, 0x4000)));
    assert_eq!((c.hart.pc, c.hart.csr.mepc, c.hart.instret), (BASE + 0x800, 0x4000, 0));
    // a 32-bit instruction whose second half is past the end of RAM: tval = pc + 2
    c.ram.write(RAM_END - 2, 2, 0x0513).unwrap(); // low half of addi a0, ...
    c.hart.pc = RAM_END - 2;
    assert_eq!(c.run(1), Stop::Budget);
    assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc, c.hart.csr.mtval), (1, RAM_END - 2, RAM_END));
    // code in a device (ROM) runs, uncached
    let prog = [i(Op::Addi, 10, 10, 1), i(Op::Addi, 10, 10, 2), j(0, -8)];
    dev.lock().unwrap().rom = prog.iter().flat_map(|w| w.to_le_bytes()).collect();
    c.hart.pc = ROM;
    c.hart.x[10] = 0;
    let before = c.hart.instret;
    assert_eq!(c.run(7), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.pc, c.hart.instret - before), (7, ROM + 4, 7));
}

#[test]
fn straddling_instruction_runs() {
    let (mut c, _) = cpu();
    // c.nop at page end - 4... then a 32-bit addi across the page boundary, then ecall
    let at = BASE + 0x1000 - 4;
    c.ram.write(at, 2, 0x0001).unwrap(); // c.nop
    let addi = i(Op::Addi, 10, 10, 42);
    c.ram.write(at + 2, 4, u64::from(addi)).unwrap();
    c.ram.write(at + 6, 4, u64::from(i(Op::Addi, 11, 0, 1))).unwrap();
    c.hart.pc = at;
    assert_eq!(c.run(3), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.x[11], c.hart.pc), (42, 1, at + 10));
}

/// sum = 1 + 2 + ... + 100, stored to memory, then spin.
fn sum_program() -> Vec<u32> {
    vec![
        i(Op::Addi, 10, 0, 0),     // a0 = 0
        i(Op::Addi, 11, 0, 100),   // a1 = 100
        r(Op::Add, 10, 10, 11),    // loop: a0 += a1
        i(Op::Addi, 11, 11, -1),   // a1 -= 1
        b(Op::Bne, 11, 0, -8),     // bne a1, zero, loop
        u(Op::Auipc, 12, 0x3f000), // a2 = BASE + 20 + 0x3f000
        s(Op::Sd, 12, 10, 8),      // sd a0, 8(a2)
        j(0, 0),                   // spin
    ]
}

#[test]
fn program_runs_end_to_end_with_exact_budget() {
    let (mut c, _) = cpu();
    load_code(&mut c, BASE, &sum_program());
    // 2 + 3 * 100 + 2 instructions reach the spin loop
    assert_eq!(c.run(7), Stop::Budget);
    assert_eq!(c.hart.instret, 7);
    assert_eq!(c.run(0), Stop::Budget);
    assert_eq!(c.hart.instret, 7);
    for _ in 0..50 {
        assert_eq!(c.run(3), Stop::Budget);
    }
    assert_eq!(c.hart.instret, 157);
    assert_eq!(c.run(1000), Stop::Budget);
    assert_eq!(c.hart.instret, 1157);
    assert_eq!(c.hart.x[10], 5050);
    assert_eq!(c.ram.read(BASE + 0x3f01c, 8), Some(5050));
    assert_eq!(c.hart.pc, BASE + 7 * 4);
    // step agrees with run
    c.step().unwrap();
    assert_eq!((c.hart.instret, c.hart.pc), (1158, BASE + 28));
}

#[test]
fn exit_request_stops_before_executing() {
    let (mut c, _) = cpu();
    load_code(&mut c, BASE, &sum_program());
    c.exit_request.store(true, Ordering::Release);
    assert_eq!(c.run(100), Stop::ExitRequest);
    assert_eq!(c.hart.instret, 0);
    c.exit_request.store(false, Ordering::Release);
    assert_eq!(c.run(100), Stop::Budget);
    assert_eq!(c.hart.instret, 100);
}

#[test]
fn exit_request_stops_a_loop_going_round_inside_its_block() {
    // A loop goes round inside its block (`Cpu::again`) but looks at the
    // exit flag each round: raised from another thread, it stops a run
    // whose budget would last seconds.
    let (mut c, _) = cpu();
    load_code(&mut c, BASE, &[i(Op::Addi, 10, 10, 1), b(Op::Bne, 11, 0, -4)]);
    c.hart.x[11] = 1;
    let flag = c.exit_request.clone();
    let raiser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        flag.store(true, Ordering::Release);
    });
    assert_eq!(c.run(1 << 32), Stop::ExitRequest);
    raiser.join().unwrap();
    // Stopped at a round's end, with all state exact.
    assert_eq!(c.hart.pc, BASE);
    assert_eq!(c.hart.instret, 2 * c.hart.x[10]);
    assert!(c.hart.x[10] > 0);
    assert!(c.hart.instret < 1 << 31, "stopped late: {}", c.hart.instret);
}

#[test]
fn loops_going_round_inside_their_block_keep_to_the_budget() {
    // Budgets that end a round, or fall inside one, at every offset.
    for budget in 1..40 {
        let (mut c, _) = cpu();
        load_code(&mut c, BASE, &[i(Op::Addi, 10, 10, 1), i(Op::Addi, 12, 12, 3), b(Op::Bne, 11, 0, -8)]);
        c.hart.x[11] = 1;
        assert_eq!(c.run(budget), Stop::Budget);
        let rounds = budget / 3;
        let (a0, a2, pc) = match budget % 3 {
            0 => (rounds, 3 * rounds, BASE),
            1 => (rounds + 1, 3 * rounds, BASE + 4),
            _ => (rounds + 1, 3 * rounds + 3, BASE + 8),
        };
        assert_eq!((c.hart.instret, c.hart.x[10], c.hart.x[12], c.hart.pc), (budget, a0, a2, pc), "{budget}");
    }
}

#[test]
fn traps_in_run_do_not_retire() {
    let (mut c, _) = cpu();
    c.hart.csr.mtvec = BASE + 0x100;
    load_code(&mut c, BASE, &[i(Op::Addi, 10, 0, 1), 0xffff_ffff, i(Op::Addi, 10, 0, 2)]);
    load_code(&mut c, BASE + 0x100, &[i(Op::Addi, 11, 0, 3), j(0, 0)]);
    assert_eq!(c.run(3), Stop::Budget);
    // addi retires, the illegal word traps (counted as work, not retired), handler's addi retires
    assert_eq!((c.hart.instret, c.hart.x[10], c.hart.x[11]), (2, 1, 3));
    assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc, c.hart.csr.mtval), (2, BASE + 4, 0xffff_ffff));
}

#[test]
fn self_modifying_code_is_seen() {
    let (mut c, _) = cpu();
    let target = BASE + 0x40;
    // t: addi a0, a0, 1 ; ret
    load_code(&mut c, target, &[i(Op::Addi, 10, 10, 1), i(Op::Jalr, 0, 1, 0)]);
    // main: call t; store new instruction (from a1) over t; call t; spin
    let main = [
        j(1, 0x40),           // jal ra, t
        s(Op::Sw, 12, 11, 0), // sw a1, 0(a2)
        j(1, 0x38),           // jal ra, t  (from BASE + 8)
        j(0, 0),
    ];
    load_code(&mut c, BASE, &main);
    c.hart.x[11] = u64::from(i(Op::Addi, 10, 10, 100));
    c.hart.x[12] = target;
    assert_eq!(c.run(7), Stop::Budget);
    assert_eq!(c.hart.x[10], 101);
    assert_eq!(c.hart.pc, BASE + 12);

    // a store rewriting the next instruction of the running block
    let (mut c, _) = cpu();
    load_code(&mut c, BASE, &[s(Op::Sw, 12, 11, 0), i(Op::Addi, 10, 0, 1), j(0, 0)]);
    c.hart.x[11] = u64::from(i(Op::Addi, 10, 0, 2));
    c.hart.x[12] = BASE + 4;
    assert_eq!(c.run(3), Stop::Budget);
    assert_eq!(c.hart.x[10], 2);
    // and again after the page has had its blocks rebuilt
    c.hart.pc = BASE;
    c.hart.x[11] = u64::from(i(Op::Addi, 10, 0, 3));
    assert_eq!(c.run(3), Stop::Budget);
    assert_eq!(c.hart.x[10], 3);
}

#[test]
fn code_in_a_page_already_written_is_tracked() {
    // The page first takes a data store (a TLB write entry is made), then
    // holds code: a later store through that entry must still invalidate.
    let (mut c, _) = cpu();
    let t = BASE + 0x1000;
    load_code(&mut c, t, &[i(Op::Addi, 10, 10, 1), i(Op::Jalr, 0, 1, 0)]);
    let main = [
        s(Op::Sw, 12, 11, 0x7f0), // data store into t's page
        i(Op::Jalr, 1, 13, 0),    // call t
        s(Op::Sw, 13, 11, 0),     // rewrite t's first instruction
        i(Op::Jalr, 1, 13, 0),    // call t
        j(0, 0),
    ];
    load_code(&mut c, BASE, &main);
    c.hart.x[11] = u64::from(i(Op::Addi, 10, 10, 100));
    (c.hart.x[12], c.hart.x[13]) = (t, t);
    assert_eq!(c.run(8), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.pc), (101, BASE + 16));
}

#[test]
fn data_stores_near_code_keep_working() {
    // Data in the same page as a hot loop: stores there must not break it.
    let (mut c, _) = cpu();
    let prog = [
        i(Op::Addi, 11, 0, 50), // a1 = 50
        s(Op::Sd, 12, 11, 0),   // loop: sd a1, 0(a2)
        i(Op::Addi, 11, 11, -1),
        b(Op::Bne, 11, 0, -8),
        j(0, 0),
    ];
    load_code(&mut c, BASE, &prog);
    c.hart.x[12] = BASE + 0x800;
    assert_eq!(c.run(1 + 3 * 50), Stop::Budget);
    assert_eq!((c.hart.x[11], c.ram.read(BASE + 0x800, 8), c.hart.pc), (0, Some(1), BASE + 16));
}

#[test]
fn blocks_run_on_through_forward_branches_not_taken() {
    // One block from BASE through the beq (not taken: the run goes on, no
    // block starts at its fall-through); taken, it leaves for BASE + 12.
    let (mut c, _) = cpu();
    let code = [i(Op::Addi, 10, 0, 5), b(Op::Beq, 10, 11, 8), i(Op::Addi, 12, 0, 1), i(Op::Addi, 13, 0, 2), j(0, 0)];
    load_code(&mut c, BASE, &code);
    assert_eq!(c.run(4), Stop::Budget);
    assert_eq!((c.hart.x[12], c.hart.x[13], c.hart.pc, c.hart.instret), (1, 2, BASE + 16, 4));
    assert!(c.blocks.contains(BASE) && !c.blocks.contains(BASE + 8), "one block through the branch");
    (c.hart.pc, c.hart.x[11], c.hart.x[12], c.hart.x[13]) = (BASE, 5, 0, 0);
    assert_eq!(c.run(3), Stop::Budget);
    assert_eq!((c.hart.x[12], c.hart.x[13], c.hart.pc, c.hart.instret), (0, 2, BASE + 16, 7), "taken: skipped");
    assert!(c.blocks.contains(BASE + 12));
}

#[test]
fn fence_i_keeps_code_that_writes_would_have_dropped() {
    // Every write to RAM drops the code it overlaps (stores, and writes from
    // outside the hart through `ram_write_bytes`, as DMA would), so fence.i
    // only ends the block, as in QEMU: blocks decoded before it stay.
    let (mut c, _) = cpu();
    let code = [j(0, 8), 0, i(Op::Addi, 10, 0, 1), bits(Op::FenceI), j(0, -16)];
    load_code(&mut c, BASE, &code);
    assert_eq!(c.run(4), Stop::Budget); // j, addi, fence.i, j
    assert_eq!((c.hart.x[10], c.hart.pc), (1, BASE));
    assert!(c.blocks.contains(BASE) && c.blocks.contains(BASE + 8), "fence.i kept the blocks");
    // Rewritten from outside the hart: seen without any fence.
    c.ram_write_bytes(BASE, &i(Op::Addi, 10, 0, 9).to_le_bytes()).unwrap();
    assert!(!c.blocks.contains(BASE));
    assert_eq!(c.run(1), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.pc), (9, BASE + 4));
}

#[test]
fn ecall_traps_without_retiring() {
    let (mut c, _) = cpu();
    c.hart.csr.mtvec = BASE + 0x100;
    load_code(&mut c, BASE, &[ECALL]);
    load_code(&mut c, BASE + 0x100, &[j(0, 0)]);
    assert_eq!(c.run(1), Stop::Budget);
    assert_eq!((c.hart.instret, c.hart.pc, c.hart.csr.mepc), (0, BASE + 0x100, BASE));
}

// ---- with translation (Sv39), interrupts and logging ----

const PTE_V: u64 = 1;
const PTE_R: u64 = 2;
const PTE_W: u64 = 4;
const PTE_X: u64 = 8;
const PTE_AD: u64 = 0xc0;
const ROOT: u64 = BASE + 0x8_0000;

/// S-mode with Sv39: virtual page `vpn` (< 512) -> RAM page `BASE + pa_off`
/// with the given permissions.
fn paged_cpu(map: &[(u64, u64, u64)]) -> Cpu {
    let (mut c, _) = cpu();
    let (l1, l0) = (ROOT + 0x1000, ROOT + 0x2000);
    c.ram.write(ROOT, 8, (l1 >> 12) << 10 | PTE_V).unwrap();
    c.ram.write(l1, 8, (l0 >> 12) << 10 | PTE_V).unwrap();
    for &(vpn, pa_off, perm) in map {
        c.ram.write(l0 + 8 * vpn, 8, ((BASE + pa_off) >> 12) << 10 | perm | PTE_V | PTE_AD).unwrap();
    }
    c.hart.csr.satp = 8 << 60 | ROOT >> 12;
    // one PMP entry (NAPOT, whole address space, RWX) so that S-mode may access memory
    c.hart.csr.pmpaddr[0] = u64::MAX >> 10;
    c.hart.csr.pmpcfg[0] = 0x1f;
    c.hart.csr.mtvec = BASE + 0x800;
    load_code(&mut c, BASE + 0x800, &[j(0, 0)]);
    c.set_priv(crate::hart::Priv::S);
    c
}

#[test]
fn paged_permissions_and_faults() {
    let mut c = paged_cpu(&[(1, 0x1_0000, PTE_R | PTE_X), (2, 0x2_0000, PTE_R | PTE_W), (3, 0x3_0000, PTE_R)]);
    c.ram.write(BASE + 0x3_0000, 8, 0x1234).unwrap();
    assert_eq!(c.load(0x3000, 8), Ok(0x1234));
    assert_eq!(c.store(0x3000, 8, 1), Err(Exception::new(Cause::StorePageFault, 0x3000)));
    assert_eq!(c.load(0x4000, 1), Err(Exception::new(Cause::LoadPageFault, 0x4000)));
    c.store(0x2008, 8, 0x55).unwrap();
    assert_eq!(c.ram.read(BASE + 0x2_0008, 8), Some(0x55));
    // an AMO on a read-only page is a store/AMO page fault, memory untouched
    c.hart.pc = 0x1000;
    c.ram.write(BASE + 0x1_0000, 4, u64::from(r(Op::AmoaddD, 3, 1, 2))).unwrap();
    (c.hart.x[1], c.hart.x[2], c.hart.x[3]) = (0x3000, 1, 7);
    assert_eq!(c.step(), Err(Exception::new(Cause::StorePageFault, 0x3000)));
    assert_eq!((c.hart.x[3], c.ram.read(BASE + 0x3_0000, 8)), (7, Some(0x1234)));
    c.set_priv(crate::hart::Priv::S); // the trap went to M
                                      // a misaligned store crossing into the read-only page faults on the
                                      // second page's address and writes nothing
    c.ram.write(BASE + 0x2_0ff8, 8, 0).unwrap();
    assert_eq!(c.store(0x2ffc, 8, M1), Err(Exception::new(Cause::StorePageFault, 0x3000)));
    assert_eq!(c.ram.read(BASE + 0x2_0ff8, 8), Some(0));
    // a misaligned load across the two pages reads both physical pages
    c.ram.write(BASE + 0x2_0ffc, 4, 0xaabb_ccdd).unwrap();
    assert_eq!(c.load(0x2ffe, 4), Ok(0x1234_aabb));
}

#[test]
fn fetch_straddling_into_a_non_executable_page() {
    let mut c = paged_cpu(&[(1, 0x1_0000, PTE_R | PTE_X), (2, 0x2_0000, PTE_R | PTE_W)]);
    c.ram.write(BASE + 0x1_0ffe, 2, 0x0513).unwrap(); // low half of a 32-bit instruction
    c.hart.pc = 0x1ffe;
    assert_eq!(c.run(1), Stop::Budget);
    assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc, c.hart.csr.mtval), (12, 0x1ffe, 0x2000));
    // and a fetch from an unmapped page reports the pc
    c.set_priv(crate::hart::Priv::S);
    c.hart.pc = 0x5000;
    assert_eq!(c.run(1), Stop::Budget);
    assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc, c.hart.csr.mtval), (12, 0x5000, 0x5000));
}

#[test]
fn same_code_through_two_virtual_addresses() {
    // Two virtual pages alias one physical page of code; blocks are keyed by
    // physical address, and a store through either alias invalidates.
    let mut c = paged_cpu(&[(1, 0x1_0000, PTE_R | PTE_X | PTE_W), (6, 0x1_0000, PTE_R | PTE_X | PTE_W)]);
    load_code(&mut c, BASE + 0x1_0000, &[i(Op::Addi, 10, 10, 1), j(0, 0)]);
    c.hart.pc = 0x1000;
    assert_eq!(c.run(2), Stop::Budget);
    c.hart.pc = 0x6000;
    assert_eq!(c.run(2), Stop::Budget);
    assert_eq!(c.hart.x[10], 2);
    c.store(0x1000, 4, u64::from(i(Op::Addi, 10, 10, 40))).unwrap();
    c.hart.pc = 0x6000;
    assert_eq!(c.run(1), Stop::Budget);
    assert_eq!(c.hart.x[10], 42);
}

#[test]
fn wfi_and_interrupts_at_block_boundaries() {
    use crate::csr::MSTATUS_MIE;
    let (mut c, _) = cpu();
    c.hart.csr.mtvec = BASE + 0x100;
    load_code(&mut c, BASE, &[i(Op::Addi, 10, 0, 1), 0x1050_0073, i(Op::Addi, 10, 0, 2), j(0, 0)]);
    load_code(&mut c, BASE + 0x100, &[i(Op::Addi, 11, 0, 7), j(0, 0)]);
    assert_eq!(c.run(100), Stop::Wfi);
    assert_eq!((c.hart.instret, c.hart.pc), (2, BASE + 8));
    assert_eq!(c.run(100), Stop::Wfi, "still nothing pending");
    assert_eq!(c.hart.instret, 2);
    // MTIP pending and enabled in mie but globally disabled: wfi ends, no trap
    c.hart.csr.mie = 1 << 7;
    c.irq.set(7, true);
    assert_eq!(c.run(2), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.x[11], c.hart.pc), (2, 0, BASE + 12));
    // globally enabled: taken at the next block boundary
    c.hart.csr.mstatus |= MSTATUS_MIE;
    assert_eq!(c.run(1), Stop::Budget);
    assert_eq!((c.hart.x[11], c.hart.csr.mcause, c.hart.csr.mepc), (7, 1 << 63 | 7, BASE + 12));
}

#[test]
fn interrupts_enabled_by_a_csr_write_are_taken_in_the_same_run() {
    // SSIP pending and enabled globally but masked in mie (or the reverse):
    // the run loop stops looking (`irq_quiet`) until something could change
    // that; writes to mie, sie, mip and sip are such things. M takes it
    // itself; S, delegated (sie, sip act only on delegated bits).
    use crate::csr::{MSTATUS_MIE, MSTATUS_SIE};
    let csrs = |num: i32| i(Op::Csrrs, 0, 5, 0) | ((num as u32) << 20); // csrs NUM,t0
    for (how, num, s_mode) in [("mie", 0x304, false), ("mip", 0x344, false), ("sie", 0x104, true), ("sip", 0x144, true)]
    {
        let (mut c, _) = cpu();
        if s_mode {
            c.hart.prv = crate::hart::Priv::S;
            c.hart.csr.mideleg = 2;
            c.hart.csr.mstatus |= MSTATUS_SIE;
            c.hart.csr.stvec = BASE + 0x100;
            c.hart.csr.pmpaddr[0] = u64::MAX >> 10;
            c.hart.csr.pmpcfg[0] = 0x1f;
        } else {
            c.hart.csr.mstatus |= MSTATUS_MIE;
            c.hart.csr.mtvec = BASE + 0x100;
        }
        c.hart.x[5] = 2; // SSIP / SSIE
        if how.ends_with("ie") {
            c.hart.csr.mip = 2;
        } else {
            c.hart.csr.mie = 2;
        }
        let code = [i(Op::Addi, 10, 0, 1), i(Op::Addi, 10, 10, 1), csrs(num), i(Op::Addi, 11, 0, 9), j(0, 0)];
        load_code(&mut c, BASE, &code);
        load_code(&mut c, BASE + 0x100, &[j(0, 0)]);
        assert_eq!(c.run(20), Stop::Budget);
        let csr = &c.hart.csr;
        let taken = if s_mode { (csr.scause, csr.sepc) } else { (csr.mcause, csr.mepc) };
        assert_eq!(taken, (1 << 63 | 1, BASE + 12), "{how}: taken right after the write");
        assert_eq!(c.hart.x[11], 0, "{how}");
    }
}

/// A `Write` sink the test can read back.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn in_asm_logs_each_block_once_and_exec_each_run() {
    use crate::dlog::{DebugLog, LOG_EXEC, LOG_IN_ASM};
    let (mut c, _) = cpu();
    let sink = Sink::default();
    c.dlog = DebugLog::new(LOG_IN_ASM | LOG_EXEC, Box::new(sink.clone()));
    c.ram.write(BASE, 2, 0x4515).unwrap(); // c.li a0, 5
    load_code(&mut c, BASE + 2, &[i(Op::Addi, 10, 10, -1), b(Op::Bne, 10, 0, -4)]);
    assert_eq!(c.run(11), Stop::Budget);
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let asm = text.lines().filter(|l| l.starts_with("0x")).collect::<Vec<_>>();
    assert_eq!(asm.len(), 5, "{text}"); // block at BASE (3 insns), then the loop block at BASE + 2 (2)
    assert!(asm[0].starts_with("0x0000000080000000:  4515              "), "{}", asm[0]);
    assert!(asm[1].starts_with("0x0000000080000002:  fff50513          "), "{}", asm[1]);
    assert_eq!(text.matches("IN: ").count(), 2);
    assert_eq!(text.matches("Trace 0:").count(), 5); // one per block executed
    assert!(text.contains("/0000000080000002/"));
    assert_eq!(c.hart.x[10], 0);
}

#[test]
fn tlb_flush_drops_translations() {
    let l0 = ROOT + 0x2000;
    let mut map: Vec<(u64, u64, u64)> = (1..320).map(|v| (v, (v % 64) << 12, PTE_R | PTE_W)).collect();
    map[1] = (2, 0x2_0000, PTE_R | PTE_W);
    let mut c = paged_cpu(&map);
    c.ram.write(BASE + 0x2_0000, 8, 0xaaaa).unwrap();
    c.ram.write(BASE + 0x3_0000, 8, 0xbbbb).unwrap();
    let remap = |c: &mut Cpu, pa_off: u64| {
        c.ram.write(l0 + 8 * 2, 8, ((BASE + pa_off) >> 12) << 10 | PTE_R | PTE_W | PTE_V | PTE_AD).unwrap();
    };
    // few entries filled since the last flush
    assert_eq!(c.load(0x2000, 8), Ok(0xaaaa));
    remap(&mut c, 0x3_0000);
    assert_eq!(c.load(0x2000, 8), Ok(0xaaaa), "cached until flushed");
    c.flush_tlb();
    assert_eq!(c.load(0x2000, 8), Ok(0xbbbb));
    // more entries filled than the TLB holds, the one that matters last
    c.flush_tlb();
    for v in 3..320u64 {
        c.load(v << 12, 8).unwrap();
        c.store((v << 12) + 0x800, 8, v).unwrap();
    }
    assert_eq!(c.load(0x2000, 8), Ok(0xbbbb));
    remap(&mut c, 0x2_0000);
    c.flush_tlb();
    assert_eq!(c.load(0x2000, 8), Ok(0xaaaa));
    c.store(0x2000, 8, 0xcccc).unwrap();
    assert_eq!(c.ram.read(BASE + 0x2_0000, 8), Some(0xcccc));
}

#[test]
fn successor_links_follow_a_remapped_page() {
    // A loop calls virtual page 2 until it is remapped to other code and
    // the TLB flushed: the call must then reach the new code, though the
    // old block is still cached (under its physical address).
    let l0 = ROOT + 0x2000;
    let mut c = paged_cpu(&[(1, 0x1_0000, PTE_R | PTE_X), (2, 0x2_0000, PTE_R | PTE_X)]);
    load_code(&mut c, BASE + 0x2_0000, &[i(Op::Addi, 10, 10, 1), i(Op::Jalr, 0, 1, 0)]);
    load_code(&mut c, BASE + 0x3_0000, &[i(Op::Addi, 10, 10, 100), i(Op::Jalr, 0, 1, 0)]);
    // 0x1000: jalr ra, 0(a2); addi a3, a3, 1; j 0x1000
    load_code(&mut c, BASE + 0x1_0000, &[i(Op::Jalr, 1, 12, 0), i(Op::Addi, 13, 13, 1), j(0, -8)]);
    (c.hart.pc, c.hart.x[12]) = (0x1000, 0x2000);
    assert_eq!(c.run(5 * 4), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.pc), (4, 0x1000));
    c.ram.write(l0 + 8 * 2, 8, ((BASE + 0x3_0000) >> 12) << 10 | PTE_R | PTE_X | PTE_V | PTE_AD).unwrap();
    assert_eq!(c.run(5), Stop::Budget);
    assert_eq!(c.hart.x[10], 5, "cached until flushed");
    c.flush_tlb();
    assert_eq!(c.run(5 * 2), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.pc), (205, 0x1000));
}

/// A gcc-built RV64IMAC program (tests/data/selfcheck) compares its checksum
/// with the one the same C source computes on the host, and writes 1 to
/// `tohost` (at `OVERLAY`) on a match. QEMU agrees when it is rebuilt.
#[test]
#[cfg_attr(miri, ignore = "millions of instructions: too slow under Miri")]
fn compiled_selfcheck_program_passes() {
    let (mut c, dev) = cpu();
    let image = include_bytes!("../tests/data/selfcheck/selfcheck.bin");
    c.ram.write_bytes(BASE, image).unwrap();
    let mut result = None;
    for _ in 0..200 {
        c.run(100_000);
        result = dev.lock().unwrap().log.iter().find(|e| e.0 == 'w' && e.1 == OVERLAY).map(|e| e.3);
        if result.is_some() {
            break;
        }
    }
    assert_eq!(result, Some(1), "tohost (1 = pass); pc {:#x}, mcause {}", c.hart.pc, c.hart.csr.mcause);
    assert!(c.hart.instret > 100_000, "the program did real work");
}

#[test]
fn cpu_is_send() {
    fn send<T: Send>() {}
    send::<Cpu>();
}

#[test]
fn with_ram_runs_code_and_faults_elsewhere() {
    let mut c = Cpu::with_ram(Ram::new(BASE, 0x2000), BASE);
    load_code(&mut c, BASE, &[i(Op::Addi, 10, 0, 3), s(Op::Sd, 0, 10, 0x10)]);
    c.hart.csr.mtvec = BASE + 0x100;
    assert_eq!(c.run(2), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.csr.mcause, c.hart.csr.mtval, c.hart.pc), (3, 7, 0x10, BASE + 0x100));
}

#[test]
fn code_sharing_a_page_with_a_device() {
    // A device overlays the middle of a code page: code before it runs, stores
    // reach the device, and the RAM under the device is never decoded.
    let (mut c, dev) = cpu();
    let at = MID_OVERLAY - 12;
    load_code(&mut c, at, &[i(Op::Addi, 10, 10, 1), s(Op::Sd, 12, 10, 0), i(Op::Addi, 11, 11, 1)]);
    c.ram.write(MID_OVERLAY, 4, u64::from(i(Op::Addi, 13, 0, 1))).unwrap();
    load_code(&mut c, BASE + 0x800, &[j(0, 0)]);
    c.hart.csr.mtvec = BASE + 0x800;
    (c.hart.pc, c.hart.x[12]) = (at, MID_OVERLAY);
    // the device now reads 01 00 ..: c.nop, then an all-zero (illegal) parcel
    assert_eq!(c.run(4), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.x[11], c.hart.x[13], c.hart.pc), (1, 1, 0, MID_OVERLAY + 2));
    assert_eq!(c.run(1), Stop::Budget);
    assert_eq!((c.hart.csr.mcause, c.hart.csr.mepc, c.hart.instret), (2, MID_OVERLAY + 2, 4));
    assert_eq!(dev.lock().unwrap().log.iter().find(|e| e.0 == 'w'), Some(&('w', MID_OVERLAY, 8, 1)));
    assert_eq!(c.ram.read(MID_OVERLAY, 4), Some(u64::from(i(Op::Addi, 13, 0, 1))));
}

#[test]
fn guest_errors_are_logged() {
    use crate::dlog::{DebugLog, LOG_GUEST_ERRORS};
    let (mut c, _) = cpu();
    let sink = Sink::default();
    c.dlog = DebugLog::new(LOG_GUEST_ERRORS, Box::new(sink.clone()));
    assert!(c.load(0x4000, 4).is_err());
    assert!(c.store(0x5008, 8, 0).is_err());
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text,
        "Invalid read at addr 0x4000, size 4, region '(null)', reason: rejected\n\
         Invalid write at addr 0x5008, size 8, region '(null)', reason: rejected\n"
    );
}

#[test]
fn device_code_runs_in_blocks_logged_once() {
    use crate::dlog::{DebugLog, LOG_IN_ASM};
    let (mut c, dev) = cpu();
    let sink = Sink::default();
    c.dlog = DebugLog::new(LOG_IN_ASM, Box::new(sink.clone()));
    let prog = [i(Op::Addi, 10, 10, 1), i(Op::Addi, 11, 11, 1), j(0, -8)];
    dev.lock().unwrap().rom = prog.iter().flat_map(|w| w.to_le_bytes()).collect();
    c.hart.pc = ROM;
    assert_eq!(c.run(30), Stop::Budget);
    assert_eq!((c.hart.x[10], c.hart.x[11], c.hart.instret), (10, 10, 30));
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    // one block [addi, addi, j], run ten times, shown once
    assert_eq!(text.matches("IN: ").count(), 1, "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("0x")).count(), 3, "{text}");
}

#[test]
#[cfg_attr(miri, ignore = "60,000 instructions: too slow under Miri")]
fn run_in_any_slices_matches_single_steps() {
    // The compiled program through the block cache in uneven slices, and
    // instruction by instruction without it, must end in the same state.
    let image = include_bytes!("../tests/data/selfcheck/selfcheck.bin");
    let boot = || {
        let (mut c, _) = cpu();
        c.ram.write_bytes(BASE, image).unwrap();
        c
    };
    let total = 30_000;
    let mut a = boot();
    let mut b = boot();
    let mut k = 0u64;
    while a.hart.instret < total {
        k += 1;
        assert_eq!(a.run((k * 7919) % 97 + 1), Stop::Budget);
    }
    let target = a.hart.instret;
    while b.hart.instret < target {
        b.step().unwrap();
    }
    assert_eq!(a.hart, b.hart);
    assert_eq!(a.ram.to_vec(BASE, 0x10_0000), b.ram.to_vec(BASE, 0x10_0000));
}

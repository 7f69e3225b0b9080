//! The fast handlers against the contract handlers they stand for: the same
//! block from the same random state must end in the same state.

use super::FAST;
use crate::blocks::Entry;
use crate::bus::Ram;
use crate::cpu::Cpu;
use crate::insn::Insn;
use crate::ops::{Op, HANDLERS};

const BASE: u64 = 0x8000_0000;
const SIZE: usize = 0x4000;
const PC: u64 = BASE + 0x100;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// RAM and registers from `seed`: registers hold small numbers, addresses
/// in RAM (some near its end, so that accesses cross out of it) and wide
/// values; the TLB holds every RAM page, for loads and stores.
fn machine(seed: u64) -> Cpu {
    let mut rng = Rng(seed | 1);
    let mut c = Cpu::with_ram(Ram::new(BASE, SIZE), PC);
    let bytes: Vec<u8> = (0..SIZE).map(|_| rng.next() as u8).collect();
    c.ram_write_bytes(BASE, &bytes).unwrap();
    for page in (BASE..BASE + SIZE as u64).step_by(0x1000) {
        let v = c.load(page, 1).unwrap();
        c.store(page, 1, v).unwrap();
    }
    for r in 1..32 {
        let v = rng.next();
        c.hart.x[r] = match v % 4 {
            0 => v >> 58,
            1 => BASE + (v >> 40) % SIZE as u64,
            2 => BASE + SIZE as u64 - (v >> 60),
            _ => v,
        };
    }
    c.hart.instret = 1000;
    c
}

/// The block run under the handler contract, one instruction at a time,
/// ending after a trap, a control transfer or the last instruction.
fn reference(c: &mut Cpu, insns: &[Insn]) -> u64 {
    for (k, i) in insns.iter().enumerate() {
        let fall = c.hart.pc.wrapping_add(u64::from(i.len));
        c.hart.npc = fall;
        if let Err(ex) = HANDLERS[i.op as usize](c, i) {
            c.take_trap(ex);
            return k as u64 + 1;
        }
        c.hart.pc = c.hart.npc;
        c.hart.instret += 1;
        if c.hart.pc != fall {
            return k as u64 + 1;
        }
    }
    insns.len() as u64
}

#[test]
fn fast_handlers_match_the_contract_handlers() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for &(op, _, _) in FAST {
        for _ in 0..150 {
            let v = rng.next();
            let len = if v & 1 == 0 { 2 } else { 4 };
            let field = |shift: u32| (v >> shift) as u8 & 31;
            let imm = (v >> 32) as i32 >> 20 & !1;
            let insn =
                Insn { op, rd: field(8), rs1: field(16), rs2: field(24), rs3: 0, rm: 0, aqrl: 0, len, imm, raw: 0 };
            // Then `addi x31, x31, 1`: reached unless `insn` jumped or trapped.
            let tail = Insn { op: Op::Addi, rd: 31, rs1: 31, imm: 1, len: 4, ..insn };
            let seed = rng.next();
            let (mut a, mut b) = (machine(seed), machine(seed));
            let mut entries = vec![Entry::new(insn, 0, 0), Entry::new(tail, u64::from(len), 1)];
            crate::blocks::terminate(&mut entries);
            let work = a.exec_entries(&entries);
            assert_eq!(work, reference(&mut b, &[insn, tail]), "{insn:?}");
            assert_eq!(a.hart, b.hart, "{insn:?}");
            assert_eq!(a.traps.text(), b.traps.text(), "{insn:?}");
            assert_eq!(a.ram().to_vec(BASE, SIZE), b.ram().to_vec(BASE, SIZE), "{insn:?}");
        }
    }
}

#[test]
fn runs_must_end_with_their_one_end_marker() {
    // Handlers step to the next entry unchecked: a run the end marker does
    // not close (or closes early) is refused before anything runs.
    let addi = Insn { op: Op::Addi, rd: 10, rs1: 10, rs2: 0, rs3: 0, rm: 0, aqrl: 0, len: 4, imm: 1, raw: 0 };
    let one = Entry::new(addi, 0, 0);
    let two = Entry::new(addi, 4, 1);
    let run = |entries: Vec<Entry>| {
        let mut a = machine(1);
        let x10 = a.hart.x[10];
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.exec_entries(&entries)))
            .ok()
            .map(|work| (work, a.hart.x[10].wrapping_sub(x10), a.hart.pc - PC))
    };
    let mut ok = vec![one, two];
    crate::blocks::terminate(&mut ok);
    assert_eq!(run(ok.clone()), Some((2, 2, 8)));
    assert_eq!(run(vec![one, two]), None, "no end marker");
    assert_eq!(run(vec![ok[2], one, two]), None, "end marker first");
    assert_eq!(run(vec![one, ok[2], two, ok[2]]), None, "two end markers");
    assert_eq!(run(vec![]), None, "empty");
}

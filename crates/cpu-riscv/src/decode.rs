//! The decoder: 32-bit and compressed encodings to `Insn`, driven by `ops::OPS`.
//!
//! 32-bit words are matched (mask/match) against the table through an index,
//! built once, keyed by the major opcode, funct3, bits 31:27 and bit 25, which
//! leaves at most four candidate rows per word. Every word that matches no
//! row, or carries a reserved static rounding mode, is `Op::Illegal`.
//! Compressed words are expanded in `rvc`.

mod rvc;

use crate::insn::{Format, Insn};
use crate::ops::{Op, OPS};

/// Decode the instruction whose low bits are `raw`. If `raw & 3 != 3` it is a
/// compressed instruction and only the low 16 bits are used.
pub fn decode(raw: u32) -> Insn {
    if raw & 3 != 3 {
        rvc::decode16(raw as u16)
    } else {
        decode32(raw)
    }
}

/// Bits of a 32-bit word that select its candidate rows: opcode[6:2],
/// funct3, bits 31:27 (funct5 of OP-FP and AMO) and bit 25 (FP fmt, M vs I), 14 bits in all.
const KEY_BITS: u32 = 0xfa00_707c;

const fn key(raw: u32) -> usize {
    ((raw >> 2) & 0x1f | ((raw >> 12) & 7) << 5 | (raw >> 27) << 8 | ((raw >> 25) & 1) << 13) as usize
}

const KEYS: usize = 1 << 14;

/// Visit every key a row can match: a row whose mask leaves some key bits
/// free is listed under every assignment of them (so each list holds only
/// rows that agree on all key bits, at most a few).
macro_rules! for_each_key_of_row {
    ($info:expr, |$k:ident| $body:block) => {{
        let free = KEY_BITS & !$info.mask;
        let mut sub = 0u32;
        loop {
            let $k = key($info.bits | sub);
            $body
            sub = sub.wrapping_sub(free) & free;
            if sub == 0 {
                break;
            }
        }
    }};
}

/// How many (key, row) entries the index holds.
const fn index_len() -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < OPS.len() {
        for_each_key_of_row!(OPS[i], |_k| {
            n += 1;
        });
        i += 1;
    }
    n
}

const INDEX_LEN: usize = index_len();

/// Candidate rows for each key, flattened: `ops[starts[k]..starts[k + 1]]`.
/// Built at compile time from `OPS`, so start-up pays nothing for it.
struct Index {
    starts: [u16; KEYS + 1],
    ops: [Op; INDEX_LEN],
}

const fn build_index() -> Index {
    // Count rows per key, turn counts into starts, then place rows in table order.
    let mut starts = [0u16; KEYS + 1];
    let mut i = 0;
    while i < OPS.len() {
        for_each_key_of_row!(OPS[i], |k| {
            starts[k + 1] += 1;
        });
        i += 1;
    }
    let mut k = 0;
    while k < KEYS {
        starts[k + 1] += starts[k];
        k += 1;
    }
    let mut fill = [0u16; KEYS];
    let mut ops = [Op::Illegal; INDEX_LEN];
    let mut i = 0;
    while i < OPS.len() {
        for_each_key_of_row!(OPS[i], |k| {
            ops[(starts[k] + fill[k]) as usize] = OPS[i].op;
            fill[k] += 1;
        });
        i += 1;
    }
    Index { starts, ops }
}

static INDEX: Index = build_index();

fn candidates(raw: u32) -> &'static [Op] {
    let k = key(raw);
    &INDEX.ops[INDEX.starts[k] as usize..INDEX.starts[k + 1] as usize]
}

fn decode32(raw: u32) -> Insn {
    let Some(info) = candidates(raw).iter().map(|&op| &OPS[op as usize]).find(|i| raw & i.mask == i.bits) else {
        return Insn::illegal(raw, 4);
    };
    let mut insn = Insn { op: info.op, len: 4, raw, ..Insn::illegal(raw, 4) };
    let (rd, rs1, rs2) = (bits(raw, 11, 7), bits(raw, 19, 15), bits(raw, 24, 20));
    let rm = bits(raw, 14, 12);
    match info.format {
        Format::R | Format::FR | Format::FCmp => (insn.rd, insn.rs1, insn.rs2) = (rd, rs1, rs2),
        Format::I | Format::Load | Format::Jalr | Format::FLoad => {
            (insn.rd, insn.rs1, insn.imm) = (rd, rs1, imm_i(raw));
        }
        Format::Shift => (insn.rd, insn.rs1, insn.imm) = (rd, rs1, ((raw >> 20) & 0x3f) as i32),
        Format::Store | Format::FStore => (insn.rs1, insn.rs2, insn.imm) = (rs1, rs2, imm_s(raw)),
        Format::B => (insn.rs1, insn.rs2, insn.imm) = (rs1, rs2, imm_b(raw)),
        Format::U => (insn.rd, insn.imm) = (rd, (raw & 0xffff_f000) as i32),
        Format::J => (insn.rd, insn.imm) = (rd, imm_j(raw)),
        // fm/pred/succ; rd and rs1 are reserved and ignored (Unprivileged spec 2.7).
        Format::Fence => insn.imm = (raw >> 20) as i32,
        Format::None => {}
        Format::Sfence => (insn.rs1, insn.rs2) = (rs1, rs2),
        Format::Csr | Format::CsrI => (insn.rd, insn.rs1, insn.imm) = (rd, rs1, (raw >> 20) as i32),
        Format::Lr => (insn.rd, insn.rs1, insn.aqrl) = (rd, rs1, bits(raw, 26, 25)),
        Format::Amo => (insn.rd, insn.rs1, insn.rs2, insn.aqrl) = (rd, rs1, rs2, bits(raw, 26, 25)),
        Format::R4 => (insn.rd, insn.rs1, insn.rs2, insn.rs3, insn.rm) = (rd, rs1, rs2, bits(raw, 31, 27), rm),
        Format::FRrm => (insn.rd, insn.rs1, insn.rs2, insn.rm) = (rd, rs1, rs2, rm),
        Format::FR1rm | Format::FtoXrm | Format::XtoFrm => (insn.rd, insn.rs1, insn.rm) = (rd, rs1, rm),
        Format::FtoX | Format::XtoF => (insn.rd, insn.rs1) = (rd, rs1),
    }
    // Rounding modes 5 and 6 are reserved (Unprivileged spec 11.2, table 11.1);
    // 7 (dynamic) is checked against frm at execution.
    if has_rm(info.format) && (insn.rm == 5 || insn.rm == 6) {
        return Insn::illegal(raw, 4);
    }
    insn
}

/// Whether operations of this format carry a rounding-mode field.
pub fn has_rm(format: Format) -> bool {
    matches!(format, Format::R4 | Format::FRrm | Format::FR1rm | Format::FtoXrm | Format::XtoFrm)
}

/// Bits `hi..=lo` of `raw`, as a small field.
fn bits(raw: u32, hi: u32, lo: u32) -> u8 {
    ((raw >> lo) & ((1 << (hi - lo + 1)) - 1)) as u8
}

fn imm_i(raw: u32) -> i32 {
    raw as i32 >> 20
}

fn imm_s(raw: u32) -> i32 {
    (raw as i32 >> 25) << 5 | ((raw >> 7) & 0x1f) as i32
}

fn imm_b(raw: u32) -> i32 {
    (raw as i32 >> 31) << 12 | (((raw >> 7) & 1) << 11 | ((raw >> 25) & 0x3f) << 5 | ((raw >> 8) & 0xf) << 1) as i32
}

fn imm_j(raw: u32) -> i32 {
    (raw as i32 >> 31) << 20 | ((raw & 0xff000) | ((raw >> 20) & 1) << 11 | ((raw >> 21) & 0x3ff) << 1) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*, so the random sample is the same on every run.
    struct Rng(u64);
    impl Rng {
        fn u32(&mut self) -> u32 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
        }
    }

    // Independent encoders, scattering immediate bits as the spec's format figures show (2.3).
    fn enc_i(op: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
        (imm as u32) << 20 | rs1 << 15 | rd << 7 | op
    }
    fn enc_s(op: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
        let i = imm as u32;
        (i >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | (i & 0x1f) << 7 | op
    }
    fn enc_b(op: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
        let i = imm as u32;
        (i >> 12 & 1) << 31
            | (i >> 5 & 0x3f) << 25
            | rs2 << 20
            | rs1 << 15
            | (i >> 1 & 0xf) << 8
            | (i >> 11 & 1) << 7
            | op
    }
    fn enc_j(rd: u32, imm: i32) -> u32 {
        let i = imm as u32;
        (i >> 20 & 1) << 31 | (i >> 1 & 0x3ff) << 21 | (i >> 11 & 1) << 20 | (i >> 12 & 0xff) << 12 | rd << 7 | 0x6f
    }

    #[test]
    fn index_lists_are_short_and_complete() {
        let longest = INDEX.starts.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert!(longest <= 4, "longest candidate list {longest}");
        // Every row is reachable from its own match bits.
        for info in OPS {
            assert!(candidates(info.bits).contains(&info.op), "{}", info.mnemonic);
            assert_eq!(decode(info.bits).op, info.op, "{}", info.mnemonic);
        }
    }

    #[test]
    fn immediates_are_sign_extended_and_scattered() {
        let mut rng = Rng(7);
        for n in 0..20_000 {
            let imm12 = (rng.u32() as i32) >> 20;
            let (rd, rs1, rs2) = (rng.u32() % 32, rng.u32() % 32, rng.u32() % 32);
            let i = decode(enc_i(0x13, rd, rs1, imm12));
            assert_eq!((i.op, i.rd, i.rs1, i.imm), (Op::Addi, rd as u8, rs1 as u8, imm12));
            let s = decode(enc_s(0x3023, rs1, rs2, imm12));
            assert_eq!((s.op, s.rs1, s.rs2, s.imm, s.rd), (Op::Sd, rs1 as u8, rs2 as u8, imm12, 0));
            let boff = ((rng.u32() as i32) >> 19) & !1;
            let b = decode(enc_b(0x4063, rs1, rs2, boff));
            assert_eq!((b.op, b.imm), (Op::Blt, boff), "case {n}");
            let joff = ((rng.u32() as i32) >> 11) & !1;
            let j = decode(enc_j(rd, joff));
            assert_eq!((j.op, j.rd, j.imm), (Op::Jal, rd as u8, joff));
        }
        // Extremes, with the encodings the assembler produces.
        assert_eq!(decode(0x8000_0063).imm, -4096); // beq zero,zero,.-4096
        assert_eq!(decode(0x7e00_0fe3).imm, 4094); // beq zero,zero,.+4094
        assert_eq!(decode(0x8000_006f).imm, -(1 << 20)); // j .-1048576
        assert_eq!(decode(0x7fff_f06f).imm, (1 << 20) - 2); // j .+1048574
        assert_eq!(decode(0xfff0_0513).imm, -1); // li a0,-1
        let lui = decode(0xffff_f537);
        assert_eq!((lui.op, lui.rd, lui.imm), (Op::Lui, 10, -4096)); // lui a0,0xfffff
    }

    #[test]
    fn other_fields() {
        let sh = decode(0x03f5_1513); // slli a0,a0,63
        assert_eq!((sh.op, sh.imm), (Op::Slli, 63));
        assert_eq!(decode(0x0205_151b).op, Op::Illegal); // slliw with shamt[5] set is reserved
        let csr = decode(0xf140_2573); // csrr a0,mhartid
        assert_eq!((csr.op, csr.rd, csr.rs1, csr.imm), (Op::Csrrs, 10, 0, 0xf14));
        let csri = decode(0x3001_5073); // csrwi mstatus,2
        assert_eq!((csri.op, csri.rs1, csri.imm), (Op::Csrrwi, 2, 0x300));
        let amo = decode(0x06b5_352f); // amoadd.d.aqrl a0,a1,(a0)
        assert_eq!((amo.op, amo.rd, amo.rs1, amo.rs2, amo.aqrl), (Op::AmoaddD, 10, 10, 11, 3));
        let lr = decode(0x1405_25af); // lr.w.aq a1,(a0)
        assert_eq!((lr.op, lr.rd, lr.rs1, lr.aqrl), (Op::LrW, 11, 10, 2));
        let fma = decode(0x6ac5_f543); // fmadd.d fa0,fa1,fa2,fa3
        assert_eq!((fma.op, fma.rd, fma.rs1, fma.rs2, fma.rs3, fma.rm), (Op::FmaddD, 10, 11, 12, 13, 7));
        let tso = decode(0x8330_000f);
        assert_eq!((tso.op, tso.imm), (Op::Fence, 0x833));
    }

    #[test]
    fn reserved_rounding_modes_are_illegal() {
        // fadd.s fa0,fa1,fa2 with each rm: 5 and 6 are reserved, 7 (dynamic) decodes.
        for rm in 0..8u32 {
            let insn = decode(0x00c5_8553 | rm << 12);
            let legal = !(rm == 5 || rm == 6);
            assert_eq!(insn.op != Op::Illegal, legal, "rm {rm}");
            if legal {
                assert_eq!(insn.rm, rm as u8);
            }
        }
        // Formats without rm use funct3 as a real opcode field: fsgnjx.s is funct3 2, 5 is not an op.
        assert_eq!(decode(0x20c5_a553).op, Op::FsgnjxS);
        assert_eq!(decode(0x20c5_d553).op, Op::Illegal);
    }

    #[test]
    fn compressed_immediates() {
        let c = |h: u16| decode(u32::from(h));
        let i = c(0x1141); // c.addi sp,-16
        assert_eq!((i.op, i.rd, i.rs1, i.imm, i.len, i.raw), (Op::Addi, 2, 2, -16, 2, 0x1141));
        assert_eq!(c(0x7101).imm, -512); // c.addi16sp sp,-512
        assert_eq!(c(0x6141).imm, 16); // c.addi16sp sp,16
        assert_eq!(c(0x1ffc).imm, 1020); // c.addi4spn a5,sp,1020
        let lui = c(0x757d); // c.lui a0,0xfffff
        assert_eq!((lui.op, lui.rd, lui.imm), (Op::Lui, 10, -4096));
        let j = c(0xbffd); // c.j .-2
        assert_eq!((j.op, j.rd, j.imm), (Op::Jal, 0, -2));
        assert_eq!(c(0xaffd).imm, 0x7fe); // c.j .+2046 (max)
        assert_eq!(c(0xb001).imm, -2048); // c.j .-2048 (min)
        let b = c(0xdffd); // c.beqz a5,.-2
        assert_eq!((b.op, b.rs1, b.rs2, b.imm), (Op::Beq, 15, 0, -2));
        assert_eq!(c(0xcffd).imm, 254);
        let ld = c(0x7ffe); // c.ldsp t6,504(sp)
        assert_eq!((ld.op, ld.rd, ld.rs1, ld.imm), (Op::Ld, 31, 2, 504));
        let sd = c(0xfffe); // c.sdsp t6,504(sp)
        assert_eq!((sd.op, sd.rs1, sd.rs2, sd.imm), (Op::Sd, 2, 31, 504));
        let lw = c(0x5ffc); // c.lw a5,124(a5)
        assert_eq!((lw.op, lw.rd, lw.rs1, lw.imm), (Op::Lw, 15, 15, 124));
        let srai = c(0x97fd); // c.srai a5,63
        assert_eq!((srai.op, srai.rd, srai.rs1, srai.imm), (Op::Srai, 15, 15, 63));
        let andi = c(0x9bfd); // c.andi a5,-1
        assert_eq!((andi.op, andi.imm), (Op::Andi, -1));
        let jalr = c(0x9502); // c.jalr a0
        assert_eq!((jalr.op, jalr.rd, jalr.rs1, jalr.imm), (Op::Jalr, 1, 10, 0));
        // HINTs expand to their base op; reserved encodings are illegal.
        assert_eq!((c(0x0005).op, c(0x0005).imm), (Op::Addi, 1)); // c.nop 1
        assert_eq!((c(0x0002).op, c(0x0002).imm), (Op::Slli, 0)); // c.slli64 zero
        for reserved in [0x0000, 0x0004, 0x8000, 0x2001, 0x6101, 0x6081, 0x4002, 0x6002, 0x8002, 0x9c41] {
            assert_eq!(c(reserved).op, Op::Illegal, "{reserved:04x}");
            assert_eq!(c(reserved).len, 2);
        }
    }

    /// Structural invariants every decode result must satisfy.
    fn check_invariants(raw: u32, insn: &Insn) {
        if raw & 3 == 3 {
            assert_eq!((insn.len, insn.raw), (4, raw));
            if let Some(info) = insn.info() {
                assert_eq!(raw & info.mask, info.bits, "{raw:08x} decoded as {}", info.mnemonic);
            }
        } else {
            assert_eq!((insn.len, insn.raw), (2, raw & 0xffff));
        }
        if insn.op == Op::Illegal {
            assert_eq!(*insn, Insn::illegal(insn.raw, insn.len));
        }
        assert!(insn.rd < 32 && insn.rs1 < 32 && insn.rs2 < 32 && insn.rs3 < 32 && insn.rm < 8 && insn.aqrl < 4);
    }

    #[test]
    #[cfg_attr(miri, ignore = "hundreds of thousands of decodes: too slow under Miri")]
    fn never_panics() {
        for h in 0..=0xffffu32 {
            // Upper bits must not matter for a compressed word.
            let a = decode(h);
            let b = decode(h | 0xabcd_0000);
            check_invariants(h, &a);
            if h & 3 != 3 {
                assert_eq!(a, b);
            }
        }
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..300_000 {
            let raw = rng.u32();
            check_invariants(raw, &decode(raw));
        }
    }
}

//! Differential tests: the host fast paths (`hardfloat`, `exact`) against
//! pure SoftFloat on random and adversarial inputs, in every rounding mode,
//! with fflags clear, with NX set and random. Results and the accrued fflags
//! must be bit-identical. `TERN_FP_DIFF_ITERS` scales the run (default
//! 20,000 rounds of ~270 checks each in release builds, 4,000 in debug).

use softfloat as sf;

use super::{exact, flags, hardfloat, Rounding};

const MODES: [Rounding; 5] =
    [Rounding::NearEven, Rounding::TowardZero, Rounding::Down, Rounding::Up, Rounding::NearMaxMag];

pub(super) fn iters() -> u64 {
    std::env::var("TERN_FP_DIFF_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(if cfg!(debug_assertions) {
        4_000
    } else {
        20_000
    })
}

/// xorshift64*.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(super) fn flags(&mut self) -> u8 {
        match self.below(4) {
            0 => 0,
            1 => flags::NX,
            _ => self.next() as u8 & 0x1f,
        }
    }
}

/// A binary format's layout, so one generator serves binary32 and binary64.
#[derive(Clone, Copy)]
pub(super) struct Fmt {
    exp_bits: u32,
    frac_bits: u32,
}

pub(super) const S: Fmt = Fmt { exp_bits: 8, frac_bits: 23 };
pub(super) const D: Fmt = Fmt { exp_bits: 11, frac_bits: 52 };

impl Fmt {
    fn max_exp(self) -> u64 {
        (1 << self.exp_bits) - 1
    }
    fn bias(self) -> i64 {
        (1 << (self.exp_bits - 1)) - 1
    }
    fn frac_mask(self) -> u64 {
        (1 << self.frac_bits) - 1
    }
    fn sign(self) -> u64 {
        1 << (self.exp_bits + self.frac_bits)
    }
    fn exp_of(self, v: u64) -> i64 {
        ((v >> self.frac_bits) & self.max_exp()) as i64
    }
    fn make(self, sign: bool, exp: i64, frac: u64) -> u64 {
        let exp = exp.clamp(0, self.max_exp() as i64) as u64;
        (if sign { self.sign() } else { 0 }) | exp << self.frac_bits | (frac & self.frac_mask())
    }
    /// A fraction that is often all zeros, all ones or has few bits set,
    /// so results land exactly on or next to rounding boundaries.
    fn frac(self, g: &mut Rng) -> u64 {
        match g.below(6) {
            0 => 0,
            1 => self.frac_mask(),
            2 => g.next() & g.next() & g.next() & self.frac_mask(),
            3 => self.frac_mask() ^ (g.next() & g.next() & self.frac_mask()),
            _ => g.next() & self.frac_mask(),
        }
    }
    /// An operand: specials, subnormals, the min-normal and overflow edges.
    pub(super) fn operand(self, g: &mut Rng) -> u64 {
        let sign = g.below(2) == 0;
        let frac = self.frac(g);
        let max = self.max_exp() as i64;
        match g.below(12) {
            0 => g.next() & (self.sign() | (self.sign() - 1)),
            1 => self.make(sign, 0, 0),
            2 => self.make(sign, max, 0),
            3 => self.make(sign, max, frac | 1),
            4 => self.make(sign, 0, frac),
            5 => self.make(sign, 1 + g.below(3) as i64, frac),
            6 => self.make(sign, max - 1 - g.below(3) as i64, frac),
            7 => self.make(sign, self.bias() + g.below(8) as i64 - 4, frac),
            _ => self.make(sign, 1 + g.below(max as u64 - 1) as i64, frac),
        }
    }
    /// A second operand aimed at `a` so that op(a, b) lands near the smallest
    /// normal, near overflow, or cancels; plain random otherwise.
    pub(super) fn partner(self, g: &mut Rng, a: u64, op: Op) -> u64 {
        if g.below(3) == 0 {
            return self.operand(g);
        }
        let sign = g.below(2) == 0;
        let max = self.max_exp() as i64;
        let target = match g.below(5) {
            0 => 0,
            1 => 1,
            2 => 2,
            3 => max - 1,
            _ => max - 2,
        } + g.below(3) as i64
            - 1;
        let ea = self.exp_of(a);
        let frac = self.frac(g);
        match op {
            Op::Mul => self.make(sign, target - ea + self.bias(), frac),
            Op::Div => self.make(sign, ea - target + self.bias(), frac),
            // Near -a, a few units in the last place away: cancellation.
            Op::Add => {
                let k = g.below(5).wrapping_sub(2);
                (a ^ self.sign()).wrapping_add(k) & (self.sign() | (self.sign() - 1))
            }
            Op::Sub => {
                let k = g.below(5).wrapping_sub(2);
                a.wrapping_add(k) & (self.sign() | (self.sign() - 1))
            }
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Counts the checks, and those where the host path certainly answered.
#[derive(Default)]
struct Tally {
    checks: u64,
    host: u64,
}

fn check<T: Copy + PartialEq + std::fmt::Debug>(
    what: &str,
    ins: &[u64],
    rm: Rounding,
    ff: u8,
    fast: (T, u8),
    soft: (T, u8),
) {
    assert!(
        fast.0 == soft.0 && (ff | fast.1) == (ff | soft.1),
        "{what} {ins:#x?} {rm:?} fflags {ff:#x}: fast {fast:x?} soft {soft:x?}"
    );
}

/// Whether the host path must have produced the result: RNE, NX set, zero or
/// normal inputs and a normal result (the conditions in `hardfloat`).
fn host_taken(fmt: Fmt, rm: Rounding, ff: u8, ins: &[u64], r: u64) -> bool {
    let zon = |v: u64| {
        let e = fmt.exp_of(v);
        e != fmt.max_exp() as i64 && (e != 0 || v & fmt.frac_mask() == 0)
    };
    let e = fmt.exp_of(r);
    rm == Rounding::NearEven && ff & flags::NX != 0 && ins.iter().all(|&v| zon(v)) && e > 1 && e < fmt.max_exp() as i64
}

macro_rules! diff_format {
    ($name:ident, $fmt:expr, $t:ty, $add:path, $sub:path, $mul:path, $div:path, $sqrt:path, $fma:path) => {
        fn $name(g: &mut Rng, tally: &mut Tally) {
            let fmt = $fmt;
            let ops: [(Op, &str, fn($t, $t, Rounding) -> ($t, u8)); 4] =
                [(Op::Add, "add", $add), (Op::Sub, "sub", $sub), (Op::Mul, "mul", $mul), (Op::Div, "div", $div)];
            for (op, what, soft) in ops {
                let a = fmt.operand(g);
                let b = fmt.partner(g, a, op);
                let (x, y) = (a as $t, b as $t);
                for rm in MODES {
                    for ff in [0, flags::NX, g.flags()] {
                        let fast = match op {
                            Op::Add => hardfloat::add(x, y, rm, ff),
                            Op::Sub => hardfloat::sub(x, y, rm, ff),
                            Op::Mul => hardfloat::mul(x, y, rm, ff),
                            Op::Div => hardfloat::div(x, y, rm, ff),
                        };
                        let s = soft(x, y, rm);
                        check(what, &[a, b], rm, ff, fast, s);
                        tally.checks += 1;
                        tally.host += u64::from(host_taken(fmt, rm, ff, &[a, b], s.0 as u64));
                    }
                }
            }
            // sqrt: also of squares of min-normal-edge values.
            let a = if g.below(2) == 0 { fmt.operand(g) } else { fmt.make(false, fmt.exp_of(fmt.operand(g)), 0) };
            let x = a as $t;
            for rm in MODES {
                for ff in [0, flags::NX, g.flags()] {
                    let s = $sqrt(x, rm);
                    check("sqrt", &[a], rm, ff, hardfloat::sqrt(x, rm, ff), s);
                    tally.checks += 1;
                    tally.host += u64::from(host_taken(fmt, rm, ff, &[a], s.0 as u64));
                }
            }
            // Fused ops: c near -(a*b) for cancellation, or a partner of the product.
            let a = fmt.operand(g);
            let b = fmt.partner(g, a, Op::Mul);
            let c = match g.below(3) {
                0 => fmt.operand(g),
                1 => {
                    let p = $mul(a as $t, b as $t, Rounding::NearEven).0 as u64;
                    fmt.partner(g, p, Op::Add)
                }
                _ => fmt.partner(g, a, Op::Mul),
            };
            let sign = fmt.sign() as $t;
            for (what, np, nc) in [("fmadd", 0, 0), ("fmsub", 0, sign), ("fnmsub", sign, 0), ("fnmadd", sign, sign)] {
                let (x, y, z) = (a as $t ^ np, b as $t, c as $t ^ nc);
                for rm in MODES {
                    for ff in [0, flags::NX, g.flags()] {
                        let s = $fma(x, y, z, rm);
                        check(what, &[a, b, c], rm, ff, hardfloat::mul_add(x, y, z, rm, ff), s);
                        tally.checks += 1;
                        tally.host += u64::from(host_taken(fmt, rm, ff, &[a, b, c], s.0 as u64));
                    }
                }
            }
        }
    };
}

diff_format!(diff_s, S, u32, sf::f32_add, sf::f32_sub, sf::f32_mul, sf::f32_div, sf::f32_sqrt, sf::f32_mul_add);
diff_format!(diff_d, D, u64, sf::f64_add, sf::f64_sub, sf::f64_mul, sf::f64_div, sf::f64_sqrt, sf::f64_mul_add);

#[test]
fn hardfloat_matches_softfloat() {
    let mut g = Rng(0x2545_f491_4f6c_dd1d);
    let mut tally = Tally::default();
    for _ in 0..iters() {
        diff_s(&mut g, &mut tally);
        diff_d(&mut g, &mut tally);
    }
    // The host path must really have been exercised, a good share of the time.
    assert!(tally.host * 50 > tally.checks, "host path in {} of {} checks", tally.host, tally.checks);
}

/// Hand-picked edges: results exactly at, just below and just above the
/// smallest normal, exact zeros of both signs, and overflow, with NX set.
#[test]
fn hardfloat_edges() {
    let min = f64::MIN_POSITIVE;
    let nx = flags::NX;
    let rne = Rounding::NearEven;
    let cases: [(f64, f64); 10] = [
        (min * 2.0, -min),
        (min * 1.5, -min),
        (min * 1.5, -min * 0.75),
        (min + min * f64::EPSILON, -min),
        (0.0, -0.0),
        (-0.0, -0.0),
        (1.5, -1.5),
        (f64::MAX, f64::MAX),
        (f64::MAX, -f64::MAX),
        (min * 4.0, 0.25),
    ];
    for (a, b) in cases {
        let (a, b) = (a.to_bits(), b.to_bits());
        for ff in [0, nx, 0x1f] {
            check("add", &[a, b], rne, ff, hardfloat::add(a, b, rne, ff), sf::f64_add(a, b, rne));
            check("sub", &[a, b], rne, ff, hardfloat::sub(a, b, rne, ff), sf::f64_sub(a, b, rne));
            check("mul", &[a, b], rne, ff, hardfloat::mul(a, b, rne, ff), sf::f64_mul(a, b, rne));
            check("div", &[a, b], rne, ff, hardfloat::div(a, b, rne, ff), sf::f64_div(a, b, rne));
        }
    }
    // The overflow flag itself comes from the host path here.
    let max = f64::MAX.to_bits();
    assert_eq!(hardfloat::add(max, max, rne, nx), (f64::INFINITY.to_bits(), flags::OF | nx));
    assert_eq!(hardfloat::mul_add(max, 2.0f64.to_bits(), 0, rne, nx), (f64::INFINITY.to_bits(), flags::OF | nx));
    // min * 0.5 is tiny but exact: no UF (IEEE 754 7.5, default handling).
    let half = 0.5f64.to_bits();
    assert_eq!(hardfloat::mul(min.to_bits(), half, rne, nx), ((min * 0.5).to_bits(), 0));
    // A tiny inexact result raises UF (via SoftFloat).
    let third = (1.0f64 / 3.0).to_bits();
    assert_eq!(hardfloat::mul(min.to_bits(), third, rne, nx).1, flags::UF | nx);
}

pub(super) fn int_operand(g: &mut Rng) -> u64 {
    let r = g.next();
    match g.below(6) {
        0 => r,
        // Around the exactness limits 2^24 and 2^53 and the extremes.
        1 => (1u64 << (24 + g.below(2) * 29)).wrapping_add(g.below(9)).wrapping_sub(4),
        2 => (1u64 << g.below(64)).wrapping_add(g.below(5)).wrapping_sub(2),
        3 => (r as i64 >> g.below(64)) as u64,
        4 => r >> g.below(64),
        _ => [0, 1, u64::MAX, i64::MAX as u64, i64::MIN as u64, u32::MAX as u64, i32::MIN as u64][g.below(7) as usize],
    }
}

/// A float near an integer boundary of the conversions, or any operand.
pub(super) fn to_int_operand(g: &mut Rng) -> u64 {
    let base: f64 = match g.below(8) {
        0 => return D.operand(g),
        1 => 2147483648.0,
        2 => 4294967296.0,
        3 => 9223372036854775808.0,
        4 => 18446744073709551616.0,
        5 => 0.0,
        6 => 1.0,
        _ => (g.next() >> g.below(64)) as f64,
    };
    let x = base + [0.0, 0.5, 1.0, -0.5, -1.0, 0.25, 0.75][g.below(7) as usize];
    let x = if g.below(2) == 0 { -x } else { x };
    x.to_bits().wrapping_add(g.below(5)).wrapping_sub(2)
}

#[test]
fn exact_matches_softfloat() {
    let mut g = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..iters() {
        let (a, b) = (D.operand(&mut g), if g.below(4) == 0 { 0 } else { D.operand(&mut g) });
        let b = if g.below(4) == 0 { a } else { b };
        let (s, t) = (S.operand(&mut g) as u32, S.operand(&mut g) as u32);
        let t = if g.below(4) == 0 { s ^ 0x8000_0000 } else { t };
        assert_eq!(exact::eq(a, b), sf::f64_eq(a, b), "feq.d {a:#x} {b:#x}");
        assert_eq!(exact::lt(a, b), sf::f64_lt(a, b), "flt.d {a:#x} {b:#x}");
        assert_eq!(exact::le(a, b), sf::f64_le(a, b), "fle.d {a:#x} {b:#x}");
        assert_eq!(exact::eq(s, t), sf::f32_eq(s, t), "feq.s {s:#x} {t:#x}");
        assert_eq!(exact::lt(s, t), sf::f32_lt(s, t), "flt.s {s:#x} {t:#x}");
        assert_eq!(exact::le(s, t), sf::f32_le(s, t), "fle.s {s:#x} {t:#x}");
        assert_eq!(exact::f32_to_f64(s), sf::f32_to_f64(s, Rounding::NearEven), "fcvt.d.s {s:#x}");
        // Narrowing: doubles around binary32's range and precision edges.
        let n = match g.below(3) {
            0 => a,
            1 => f64::from(f32::from_bits(s)).to_bits().wrapping_add(g.below(1 << 30)).wrapping_sub(1 << 29),
            _ => D.make(g.below(2) == 0, 1023 - 126 + g.below(5) as i64 - 3, D.frac(&mut g)),
        };
        let x = int_operand(&mut g);
        let f = to_int_operand(&mut g);
        let fs = f64::from_bits(f) as f32;
        let fd = f64::from(fs);
        for rm in MODES {
            assert_eq!(exact::f64_to_f32(n, rm), sf::f64_to_f32(n, rm), "fcvt.s.d {n:#x} {rm:?}");
            let ints = [
                (exact::i32_to_f32(x as i32, rm), sf::i32_to_f32(x as i32, rm)),
                (exact::u32_to_f32(x as u32, rm), sf::u32_to_f32(x as u32, rm)),
                (exact::i64_to_f32(x as i64, rm), sf::i64_to_f32(x as i64, rm)),
                (exact::u64_to_f32(x, rm), sf::u64_to_f32(x, rm)),
            ];
            for (k, (e, s)) in ints.into_iter().enumerate() {
                assert_eq!(e, s, "int-to-f32 #{k} of {x:#x} {rm:?}");
            }
            let ints = [
                (exact::i32_to_f64(x as i32, rm), sf::i32_to_f64(x as i32, rm)),
                (exact::u32_to_f64(x as u32, rm), sf::u32_to_f64(x as u32, rm)),
                (exact::i64_to_f64(x as i64, rm), sf::i64_to_f64(x as i64, rm)),
                (exact::u64_to_f64(x, rm), sf::u64_to_f64(x, rm)),
            ];
            for (k, (e, s)) in ints.into_iter().enumerate() {
                assert_eq!(e, s, "int-to-f64 #{k} of {x:#x} {rm:?}");
            }
            let x = f64::from_bits(f);
            assert_eq!(exact::to_i32(x, rm), sf::f64_to_i32(f, rm), "fcvt.w.d {f:#x} {rm:?}");
            assert_eq!(exact::to_u32(x, rm), sf::f64_to_u32(f, rm), "fcvt.wu.d {f:#x} {rm:?}");
            assert_eq!(exact::to_i64(x, rm), sf::f64_to_i64(f, rm), "fcvt.l.d {f:#x} {rm:?}");
            assert_eq!(exact::to_u64(x, rm), sf::f64_to_u64(f, rm), "fcvt.lu.d {f:#x} {rm:?}");
            let b = fs.to_bits();
            assert_eq!(exact::to_i32(fd, rm), sf::f32_to_i32(b, rm), "fcvt.w.s {b:#x} {rm:?}");
            assert_eq!(exact::to_u32(fd, rm), sf::f32_to_u32(b, rm), "fcvt.wu.s {b:#x} {rm:?}");
            assert_eq!(exact::to_i64(fd, rm), sf::f32_to_i64(b, rm), "fcvt.l.s {b:#x} {rm:?}");
            assert_eq!(exact::to_u64(fd, rm), sf::f32_to_u64(b, rm), "fcvt.lu.s {b:#x} {rm:?}");
        }
    }
}

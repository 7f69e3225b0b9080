//! The FP fast paths (`cpu_riscv::fpu::hardfloat`, `exact`) against SoftFloat:
//! each operation over 1,024 typical operands, once with fflags clear (NX
//! not yet set, so `hardfloat` must use SoftFloat) and once with NX set (the
//! host FPU). Run with `cargo bench --bench fp`; criterion reports ops/s.

use std::hint::black_box;

use cpu_riscv::fpu::{exact, flags, hardfloat, Rounding};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const N: usize = 1024;

/// Deterministic doubles in [0.5, 1000), the kind a numeric loop sees.
fn operands() -> Vec<f64> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    (0..N)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            0.5 + (s >> 11) as f64 / (1u64 << 53) as f64 * 1000.0
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let d: Vec<u64> = operands().iter().map(|v| v.to_bits()).collect();
    let s: Vec<u32> = operands().iter().map(|&v| (v as f32).to_bits()).collect();
    let rne = Rounding::NearEven;
    let mut g = c.benchmark_group("fp");
    g.throughput(Throughput::Elements(N as u64));
    for (path, ff) in [("softfloat", 0), ("host", flags::NX)] {
        g.bench_function(format!("fadd.d/{path}"), |b| {
            b.iter(|| d.windows(2).fold(0, |acc, w| acc ^ hardfloat::add(w[0], w[1], rne, black_box(ff)).0))
        });
        g.bench_function(format!("fmul.d/{path}"), |b| {
            b.iter(|| d.windows(2).fold(0, |acc, w| acc ^ hardfloat::mul(w[0], w[1], rne, black_box(ff)).0))
        });
        g.bench_function(format!("fdiv.d/{path}"), |b| {
            b.iter(|| d.windows(2).fold(0, |acc, w| acc ^ hardfloat::div(w[0], w[1], rne, black_box(ff)).0))
        });
        g.bench_function(format!("fsqrt.d/{path}"), |b| {
            b.iter(|| d.iter().fold(0, |acc, &x| acc ^ hardfloat::sqrt(x, rne, black_box(ff)).0))
        });
        g.bench_function(format!("fmadd.d/{path}"), |b| {
            b.iter(|| d.windows(3).fold(0, |acc, w| acc ^ hardfloat::mul_add(w[0], w[1], w[2], rne, black_box(ff)).0))
        });
        g.bench_function(format!("fdiv.s/{path}"), |b| {
            b.iter(|| s.windows(2).fold(0, |acc, w| acc ^ hardfloat::div(w[0], w[1], rne, black_box(ff)).0))
        });
    }
    g.bench_function("flt.d/host", |b| b.iter(|| d.windows(2).filter(|w| exact::lt(w[0], w[1]).0).count()));
    g.bench_function("fcvt.l.d/host", |b| {
        b.iter(|| d.iter().fold(0, |acc, &x| acc ^ exact::to_i64(f64::from_bits(x), black_box(Rounding::TowardZero)).0))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

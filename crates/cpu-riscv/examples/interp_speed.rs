//! Rough interpreter speed on simple loops (run with `--release`):
//! `cargo run --release -p cpu-riscv --example interp_speed`.

use std::time::Instant;

use cpu_riscv::{Cpu, Ram, Stop};

const BASE: u64 = 0x8000_0000;

fn measure(name: &str, code: &[u32]) {
    let mut ram = Ram::new(BASE, 16 << 20);
    for (k, w) in code.iter().enumerate() {
        ram.write(BASE + 4 * k as u64, 4, u64::from(*w)).expect("code fits in RAM");
    }
    let mut cpu = Cpu::with_ram(ram, BASE);
    // Best of several rounds: the host may be busy with other work.
    let n = 50_000_000;
    let mut best = 0f64;
    for round in 1..=6 {
        let t = Instant::now();
        let mut left = n;
        while left > 0 {
            let slice = left.min(1_000_000);
            assert_eq!(cpu.run(slice), Stop::Budget);
            left -= slice;
        }
        best = best.max(n as f64 / t.elapsed().as_secs_f64());
        assert_eq!(cpu.hart.instret, round * n);
    }
    println!("{name}: {:.0} M instructions/s", best / 1e6);
}

fn main() {
    // loop: addi a0, a0, 1; addi a1, a1, -1; bne a1, zero, loop (a1 starts at 0: ~2^64 iterations)
    measure("alu loop (3 insns)", &[0x0015_0513, 0xfff5_8593, 0xfe05_9ce3]);
    // 15 x addi a0, a0, 1; addi a1, a1, -1; bne a1, zero, loop
    let mut long = vec![0x0015_0513; 15];
    long.extend([0xfff5_8593, 0xfc05_90e3]);
    measure("alu loop (17 insns)", &long);
    // a0 = 0x80100000 (auipc a0, 0x100); loop: ld a1, 0(a0); addi a1, a1, 1; sd a1, 0(a0);
    // addi a2, a2, 1; andi a3, a2, 255; slli a3, a3, 3; add a3, a3, a0; sd a2, 0(a3); j loop
    measure(
        "load/store loop (8 insns)",
        &[
            0x0010_0517,
            0x0005_3583,
            0x0015_8593,
            0x00b5_3023,
            0x0016_0613,
            0x0ff6_7693,
            0x0036_9693,
            0x00a6_86b3,
            0x00c6_b023,
            0xfe1f_f06f,
        ],
    );
}

//! Run an image on a board with the JIT or the interpreter and report the
//! time taken, until `-accel jit` is in the CLI:
//! `cargo run --release -p jit --example jitrun -- [jit|interp] spike|virt IMAGE`.

use std::time::Instant;

use machine::{Config, Firmware, Machine, Serial};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [accel, board, image] = args.as_slice() else {
        eprintln!("usage: jitrun jit|interp spike|virt IMAGE");
        std::process::exit(2);
    };
    let cfg = Config {
        board: board.parse().unwrap_or_else(|e| panic!("{e}")),
        ram_size: 128 << 20,
        bios: Firmware::None,
        kernel: Some(image.into()),
        kernel_bytes: None,
        serial: Serial::Stdio,
        max_insns: None,
    };
    let mut m = Machine::new(cfg).unwrap_or_else(|e| panic!("{e}"));
    if accel == "jit" {
        m.cpu().set_engine(Some(Box::new(jit::Jit::new().expect("code buffer"))));
    }
    let t = Instant::now();
    let exit = m.run();
    let secs = t.elapsed().as_secs_f64();
    let insns = m.cpu().hart.instret;
    eprintln!("{accel}: {exit:?} in {secs:.3} s, {insns} instructions, {:.0} MIPS", insns as f64 / secs / 1e6);
    for (k, v) in m.cpu().engine_stats() {
        eprintln!("  {k}: {v}");
    }
}

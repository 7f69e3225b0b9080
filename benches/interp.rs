//! Interpreter throughput: guest instructions per second on each CPU-bound image in
//! `roms/build/bench/` (built by `roms/build.sh`). Run with `cargo bench --bench interp`;
//! criterion reports time per run and, from `Throughput::Elements`, instructions/s.
//! Machine construction (RAM allocation, ELF loading) is outside the timed part.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use machine::{BoardKind, Config, Firmware, Machine, RunExit, Serial};

/// Bench images with their board, from roms/manifest.tsv (virt unless it says otherwise).
fn images() -> Vec<(PathBuf, BoardKind)> {
    let roms = Path::new(env!("CARGO_MANIFEST_DIR")).join("roms");
    let manifest = std::fs::read_to_string(roms.join("manifest.tsv")).unwrap_or_default();
    let mut out = Vec::new();
    for line in manifest.lines() {
        let mut cols = line.split('\t');
        let (Some(path), Some(board)) = (cols.next(), cols.next()) else { continue };
        if path.starts_with("build/bench/") && path.ends_with(".elf") {
            let kind = if board == "spike" { BoardKind::Spike } else { BoardKind::Virt };
            out.push((roms.join(path), kind));
        }
    }
    out
}

fn config(path: &Path, board: BoardKind) -> Config {
    Config {
        board,
        ram_size: 128 << 20,
        bios: Firmware::None,
        kernel: Some(path.to_path_buf()),
        kernel_bytes: None,
        serial: Serial::None,
        max_insns: None,
    }
}

/// Run once, untimed, to learn how many instructions the image retires (and that it works).
fn instructions(cfg: &Config) -> Result<u64, String> {
    let mut m = Machine::new(cfg.clone()).map_err(|e| e.to_string())?;
    match m.run() {
        RunExit::Guest { code: 0 } => Ok(m.cpu().hart.instret),
        other => Err(format!("ended with {other:?}")),
    }
}

fn interp(c: &mut Criterion) {
    let images = images();
    if images.is_empty() {
        eprintln!("no bench images in roms/manifest.tsv (roms/build/bench/*.elf); nothing to measure");
        return;
    }
    let mut group = c.benchmark_group("interp");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for (path, board) in images {
        let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let cfg = config(&path, board);
        let n = match instructions(&cfg) {
            Ok(n) if n > 0 => n,
            Ok(_) => {
                eprintln!("{name}: retired no instructions; skipped");
                continue;
            }
            Err(e) => {
                eprintln!("{name}: {e}; skipped");
                continue;
            }
        };
        eprintln!("{name}: {n} guest instructions per run");
        group.throughput(Throughput::Elements(n));
        group.bench_function(&name, |b| {
            b.iter_batched(
                || Machine::new(cfg.clone()).expect("machine built once already"),
                |mut m| {
                    let exit = m.run();
                    (m, exit)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, interp);
criterion_main!(benches);

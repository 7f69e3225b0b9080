//! Every image in `roms/manifest.tsv` runs under the JIT to its expected exit
//! code and console output, as `tests/roms.rs` at the root checks the
//! interpreter through the CLI.

use std::path::{Path, PathBuf};

use jit::Jit;
use machine::{BoardKind, Config, Firmware, Machine, RunExit, Serial};

/// A guard against a hang: far more than any image needs.
const MAX_INSNS: u64 = 2_000_000_000;

fn roms() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms")
}

struct Row {
    path: PathBuf,
    board: BoardKind,
    exit: u32,
    stdout: String,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(roms().join("manifest.tsv")).expect("roms/manifest.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 3, "manifest line {line:?}");
            Row {
                path: roms().join(cols[0]),
                board: cols[1].parse().expect("board"),
                exit: cols[2].parse().expect("exit code"),
                stdout: cols.get(3).copied().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

/// Run `row` with the JIT installed; `Err` describes a failure.
fn run(row: &Row, n: usize) -> Result<(), String> {
    let out = std::env::temp_dir().join(format!("tern-jit-roms-{}-{n}", std::process::id()));
    let cfg = Config {
        board: row.board,
        ram_size: 128 << 20,
        bios: Firmware::None,
        kernel: Some(row.path.clone()),
        kernel_bytes: None,
        serial: Serial::File(out.clone()),
        max_insns: Some(MAX_INSNS),
    };
    let mut m = Machine::new(cfg).map_err(|e| e.to_string())?;
    let mut jit = Jit::new().map_err(|e| e.to_string())?;
    // Translate every block on first use: the point is to run them all as code.
    jit.set_hot_threshold(0);
    m.cpu().set_engine(Some(Box::new(jit)));
    let exit = m.run();
    let stats = m.cpu().engine_stats();
    drop(m);
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    if exit != (RunExit::Guest { code: row.exit }) {
        return Err(format!("exit {exit:?}, expected {}", row.exit));
    }
    if !stdout.contains(&row.stdout) {
        return Err(format!("stdout lacks {:?}: {stdout:?}", row.stdout));
    }
    let translated = stats.iter().find(|(k, _)| *k == "translated").map_or(0, |s| s.1);
    if translated == 0 {
        return Err("the JIT translated nothing".into());
    }
    Ok(())
}

#[test]
fn every_manifest_image_passes_under_the_jit() {
    let rows = manifest();
    assert!(rows.len() > 100, "manifest lists {} images", rows.len());
    let failures: Vec<String> = rows
        .iter()
        .enumerate()
        // The benchmark takes minutes in a debug build; release runs it.
        .filter(|(_, r)| !cfg!(debug_assertions) || !r.path.to_string_lossy().contains("/bench/"))
        .filter_map(|(n, r)| run(r, n).err().map(|e| format!("{}: {e}", r.path.display())))
        .collect();
    assert!(failures.is_empty(), "{} images failed under the JIT:\n{}", failures.len(), failures.join("\n"));
}

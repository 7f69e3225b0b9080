//! `-accel lockstep` through the machine crate: every image in
//! `roms/manifest.tsv` runs with no divergence to its expected exit code and
//! output, and a divergence injected through the test hook is reported.

use std::path::{Path, PathBuf};

use jit::lockstep::Lockstep;
use machine::{BoardKind, Config, Firmware, Machine, RunExit, Serial};

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

/// What a lockstep run ended with.
struct Outcome {
    exit: RunExit,
    stdout: String,
    report: Option<String>,
    blocks: u64,
}

fn run(row: &Row, n: usize, inject: Option<u64>) -> Result<Outcome, String> {
    let out = std::env::temp_dir().join(format!("tern-lockstep-{}-{n}", std::process::id()));
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
    let mut ls = Lockstep::new().map_err(|e| e.to_string())?;
    if let Some(b) = inject {
        ls.inject_divergence(b);
    }
    let h = m.handle();
    ls.on_divergence(move || h.request_exit());
    let report = ls.report();
    m.cpu().set_engine(Some(Box::new(ls)));
    let exit = m.run();
    let stats = m.cpu().engine_stats();
    drop(m);
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let report = report.lock().unwrap().clone();
    let blocks = stats.iter().find(|(k, _)| *k == "lockstep_blocks").map_or(0, |s| s.1);
    Ok(Outcome { exit, stdout, report, blocks })
}

#[test]
fn every_manifest_image_passes_under_lockstep() {
    let rows = manifest();
    assert!(rows.len() > 100, "manifest lists {} images", rows.len());
    let failures: Vec<String> = rows
        .iter()
        .enumerate()
        // The benchmark (203M instructions, 36M blocks each run twice with
        // the TLB flushed) takes some 20 s in a release build, far longer in
        // debug: release (`.ci/run`) runs it.
        .filter(|(_, r)| !cfg!(debug_assertions) || !r.path.to_string_lossy().contains("/bench/"))
        .filter_map(|(n, r)| {
            let o = match run(r, n, None) {
                Ok(o) => o,
                Err(e) => return Some(format!("{}: {e}", r.path.display())),
            };
            let err = if let Some(rep) = o.report {
                format!("diverged:\n{rep}")
            } else if o.exit != (RunExit::Guest { code: r.exit }) {
                format!("exit {:?}, expected {}", o.exit, r.exit)
            } else if !o.stdout.contains(&r.stdout) {
                format!("stdout lacks {:?}: {:?}", r.stdout, o.stdout)
            } else if o.blocks == 0 {
                "no block compared".into()
            } else {
                return None;
            };
            Some(format!("{}: {err}", r.path.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{} images failed under lockstep:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn an_injected_divergence_is_reported_at_its_block() {
    let rows = manifest();
    let row = rows
        .iter()
        .find(|r| r.stdout.len() > 3 && !r.path.to_string_lossy().contains("/bench/"))
        .expect("an image with output");
    let o = run(row, 9999, Some(5)).unwrap();
    let rep = o.report.expect("the divergence is reported");
    assert_eq!(o.exit, RunExit::ExitRequested, "the run stops at the divergence");
    assert_eq!(o.blocks, 5, "no block runs after the divergent one");
    assert!(rep.starts_with("lockstep: block 5 at pc 0x"), "{rep}");
    assert!(rep.contains("the hart state differs"), "{rep}");
    // Exactly the corrupted register is marked, with both values.
    let marked: Vec<&str> = rep.lines().filter(|l| l.starts_with('!')).collect();
    assert_eq!(marked.len(), 1, "{rep}");
    assert!(marked[0].contains("x[31]"), "{rep}");
    let (j, i) = marked[0][1..].split_once('|').unwrap();
    let val = |s: &str| u64::from_str_radix(s.trim().rsplit("0x").next().unwrap().trim(), 16).unwrap();
    assert_eq!(val(j) ^ val(i), 1 << 7, "{rep}");
    // The block's code is listed.
    let listing = rep.split("block:\n").nth(1).unwrap();
    assert!(listing.lines().next().unwrap().trim_start().starts_with("0x"), "{rep}");
}

//! Runs every image listed in `roms/manifest.tsv` (built by `roms/build.sh`) the way
//! `roms/check-qemu.sh` runs it on QEMU, and checks the exit code and stdout.
//! Columns: path (relative to roms/), board, expected exit code, expected stdout substring.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;

/// Per image. The benchmark images run for a second in release; a debug build is ~30x slower.
const LIMIT: Duration = Duration::from_secs(if cfg!(debug_assertions) { 300 } else { 60 });

struct Row {
    path: String,
    board: String,
    exit: i32,
    stdout: String,
}

fn manifest() -> Vec<Row> {
    let roms = Path::new(env!("CARGO_MANIFEST_DIR")).join("roms");
    let text = std::fs::read_to_string(roms.join("manifest.tsv"))
        .unwrap_or_else(|e| panic!("roms/manifest.tsv: {e} (build it with roms/build.sh)"));
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (path, board, exit) = match cols.as_slice() {
            [p, b, e, ..] => (p, b, e),
            _ => panic!("manifest.tsv:{}: expected at least 3 tab-separated columns: {line:?}", n + 1),
        };
        let exit = exit.parse().unwrap_or_else(|_| panic!("manifest.tsv:{}: bad exit code {exit:?}", n + 1));
        let full = roms.join(path);
        assert!(full.is_file(), "manifest.tsv:{}: {path} does not exist", n + 1);
        rows.push(Row {
            path: full.to_string_lossy().into_owned(),
            board: board.to_string(),
            exit,
            stdout: cols.get(3).copied().unwrap_or_default().to_string(),
        });
    }
    rows
}

/// Run every manifest image with `extra` options before the usual ones.
fn run_manifest(extra: &[&str]) {
    let rows = manifest();
    assert!(!rows.is_empty(), "roms/manifest.tsv lists no images");
    let mut failures = Vec::new();
    for r in &rows {
        let args = [extra, &["-machine", &r.board, "-bios", "none", "-nographic", "-kernel", &r.path]].concat();
        let o = run_args(&args, LIMIT);
        let out_ok = r.stdout.is_empty() || o.stdout.contains(&r.stdout);
        if o.code != Some(r.exit) || !out_ok || o.timed_out {
            let tail: Vec<&str> = o.stderr.lines().rev().take(3).collect();
            failures.push(format!(
                "{} ({}): exit {:?}{} (expected {}){}; stderr tail: {tail:?}",
                r.path,
                r.board,
                o.code,
                if o.timed_out { " after timeout" } else { "" },
                r.exit,
                if out_ok { String::new() } else { format!(", stdout lacks {:?}", r.stdout) },
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{extra:?}: {} of {} images failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// The default engine (the JIT).
#[test]
fn every_manifest_image_runs_as_expected() {
    run_manifest(&[]);
}

/// The interpreter, the reference semantics, through the CLI too.
#[test]
fn every_manifest_image_runs_as_expected_in_the_interpreter() {
    run_manifest(&["-accel", "interp"]);
}

/// `tern` with no arguments runs the bundled demo on virt, like the explicit command line.
#[test]
fn no_arguments_runs_the_demo() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("roms/build/demo/hello.elf");
    assert!(demo.is_file(), "roms/build/demo/hello.elf is missing (roms/build.sh builds it)");
    let bare = run_args(&[], LIMIT);
    let explicit =
        run_args(&["-machine", "virt", "-bios", "none", "-nographic", "-kernel", demo.to_str().unwrap()], LIMIT);
    assert!(!bare.timed_out, "the demo did not finish");
    assert_eq!(bare.code, Some(0), "stderr: {}", bare.stderr);
    assert!(!bare.stdout.is_empty(), "the demo printed nothing");
    assert_eq!((bare.code, &bare.stdout), (explicit.code, &explicit.stdout));
}

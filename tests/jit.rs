//! The JIT's user-facing features through the `tern` binary: `-d out_asm`
//! and `-d jit` (the `info jit` report at exit), and `-accel lockstep`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);

fn rom(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("roms/build").join(path);
    assert!(p.is_file(), "{} is missing (roms/build.sh builds it)", p.display());
    p.to_string_lossy().into_owned()
}

/// One `OUT:`/`PROLOGUE:` entry of `-d out_asm`: its header, stated size,
/// and instructions (address, byte count including continuation lines,
/// mnemonic).
struct Dump {
    header: String,
    size: u64,
    insns: Vec<(u64, u64, String)>,
}

/// Parse every dump in `log`, checking each line's layout (QEMU's: `0xADDR: `,
/// 8 bytes in 24 columns, then the mnemonic; longer instructions continue on
/// lines of bytes alone).
fn dumps(log: &str) -> Vec<Dump> {
    let mut out: Vec<Dump> = Vec::new();
    let mut open = false;
    for l in log.lines() {
        if let Some((header, size)) = l.split_once(": [size=") {
            if header == "OUT" || header == "PROLOGUE" {
                let size = size.trim_end_matches(']').parse().unwrap_or_else(|_| panic!("{l:?}"));
                out.push(Dump { header: header.into(), size, insns: Vec::new() });
                open = true;
                continue;
            }
        }
        if l.is_empty() {
            open = false;
        }
        if !open || l.is_empty() {
            continue;
        }
        let d = out.last_mut().unwrap();
        let (addr, rest) = l.split_once(": ").unwrap_or_else(|| panic!("{l:?}"));
        let addr = u64::from_str_radix(addr.trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("{l:?}"));
        let field = &rest[..rest.len().min(24)];
        let bytes: Vec<u8> =
            field.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap_or_else(|_| panic!("{l:?}"))).collect();
        let n = bytes.len();
        assert!((1..=8).contains(&n), "{l:?}");
        let text = rest.get(24..).unwrap_or("");
        if text.is_empty() {
            // The rest of the previous instruction's bytes.
            let last = d.insns.last_mut().unwrap_or_else(|| panic!("continuation first: {l:?}"));
            assert_eq!(addr, last.0 + last.1, "{l:?}");
            last.1 += n as u64;
        } else {
            assert!(text.starts_with("  ") && !text[2..].starts_with(' '), "mnemonic column: {l:?}");
            let mnemonic = text[2..].split(' ').next().unwrap_or_default().to_string();
            d.insns.push((addr, n as u64, mnemonic));
        }
    }
    out
}

/// The value after `label` in the `info jit` text.
fn value<'a>(text: &'a str, label: &str) -> &'a str {
    let l = text.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no {label:?} in {text}"));
    l[label.len()..].trim()
}

/// `-d out_asm` logs every translated block's host code, disassembled in
/// QEMU's layout, right after its guest code (`in_asm`); the blocks add up to
/// what `-d jit` reports at exit.
#[test]
fn out_asm_logs_every_translated_block() {
    let log = std::env::temp_dir().join(format!("tern-out-asm-{}.log", std::process::id()));
    // A block is translated once hot (see `jit::HOT_THRESHOLD`): the demo
    // has loops; ISA tests run most blocks only a few times.
    let image = rom("demo/hello.elf");
    let o = run_args(
        &[
            "-d",
            "in_asm,out_asm,jit",
            "-D",
            log.to_str().unwrap(),
            "-machine",
            "virt",
            "-bios",
            "none",
            "-kernel",
            &image,
        ],
        LIMIT,
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let ds = dumps(&text);
    assert_eq!(ds[0].header, "PROLOGUE", "the trampoline comes first");
    assert_eq!(ds.iter().filter(|d| d.header == "PROLOGUE").count(), 1);
    let blocks = &ds[1..];
    for d in &ds {
        let mut at = d.insns[0].0;
        for (addr, n, mnemonic) in &d.insns {
            assert_eq!(*addr, at, "instructions are contiguous");
            assert!(mnemonic != "(bad)" && !mnemonic.is_empty(), "undecodable code at {addr:#x}");
            at += n;
        }
        assert_eq!(at - d.insns[0].0, d.size, "[size=] is the bytes listed");
        // Every block leaves: by a jump or a return.
        assert!(d.insns.iter().any(|(_, _, m)| m.starts_with('j') || m.starts_with("ret")), "{}", d.header);
    }
    // Each OUT entry comes right after its block's guest code: an IN entry
    // in RAM (the reset vector in ROM is never translated).
    assert!(blocks.len() > 10, "{text}");
    let followed: Vec<&str> =
        text.split("----------------\nIN: \n").skip(1).filter(|b| b.contains("\nOUT: [size=")).collect();
    assert_eq!(followed.len(), blocks.len());
    assert!(followed.iter().all(|b| b.contains("Virt: 0\n0x00000000800")), "{followed:?}");
    // The report at exit counts the same blocks and bytes (no flush here).
    assert_eq!(value(&text, "TB count"), blocks.len().to_string());
    let used: u64 = blocks.iter().map(|d| d.size).sum();
    let gen = value(&text, "gen code size");
    assert_eq!(gen.split('/').next(), Some(used.to_string().as_str()), "{gen}");
    assert_eq!(value(&text, "TB flush count"), "0");
    // The interpreter translates nothing.
    let o = run_args(
        &["-accel", "interp", "-d", "out_asm,jit", "-machine", "virt", "-bios", "none", "-kernel", &image],
        LIMIT,
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(!o.stderr.contains("OUT: "), "{}", o.stderr);
    assert!(o.stderr.contains("JIT information is only available with accel=tcg"), "{}", o.stderr);
}

/// `-accel lockstep` runs images to the interpreter's output and exit code,
/// reporting nothing.
#[test]
fn lockstep_runs_images_like_the_interpreter() {
    for (board, image) in
        [("virt", "demo/hello.elf"), ("virt", "selftest/virt-exit5.elf"), ("spike", "isa/rv64ui-add.elf")]
    {
        let image = rom(image);
        let args = |accel| ["-accel", accel, "-machine", board, "-bios", "none", "-nographic", "-kernel", &image];
        let (i, l) = (run_args(&args("interp"), LIMIT), run_args(&args("lockstep"), LIMIT));
        assert!(!i.timed_out && !l.timed_out, "{image}");
        assert_eq!((l.code, &l.stdout), (i.code, &i.stdout), "{image}: stderr {}", l.stderr);
        assert!(!l.stderr.contains("lockstep:"), "{image}: {}", l.stderr);
    }
    // And it does compare blocks (the report's own line).
    let o = run_args(
        &["-accel", "lockstep", "-d", "jit", "-machine", "virt", "-bios", "none", "-kernel", &rom("demo/hello.elf")],
        LIMIT,
    );
    let compared: u64 = value(&o.stderr, "lockstep blocks").split(' ').next().unwrap().parse().unwrap();
    assert!(compared > 100, "{}", o.stderr);
}

/// A divergence (injected through the checker's test hook) stops the run
/// with status 3 and the report on stderr.
#[test]
fn a_lockstep_divergence_exits_3_with_the_report() {
    let image = rom("demo/hello.elf");
    let run = |inject: &str| {
        let mut c = tern();
        c.args(["-accel", "lockstep", "-machine", "virt", "-bios", "none", "-nographic", "-kernel", &image]);
        c.env("TERN_LOCKSTEP_INJECT", inject);
        Running::start(c).finish(LIMIT)
    };
    let o = run("40");
    assert_eq!(o.code, Some(3), "{}", o.stderr);
    assert!(o.stderr.starts_with("lockstep: block 40 at pc 0x"), "{}", o.stderr);
    assert!(o.stderr.contains("the hart state differs") && o.stderr.contains("block:\n"), "{}", o.stderr);
    let marked: Vec<&str> = o.stderr.lines().filter(|l| l.starts_with('!')).collect();
    assert_eq!(marked.len(), 1, "only x31 differs: {}", o.stderr);
    assert!(marked[0].contains("x[31]"), "{}", o.stderr);
    // Past the end of the run: no divergence, the usual result.
    let o = run("100000000");
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("primes: 2 3 5 7"), "{}", o.stdout);
}

/// An image whose hot loop has a 32-bit instruction straddling a page end
/// (at 0xffe, after a compressed one), run for `iters` iterations, then
/// the virt test finisher's pass code: the loop (from 0xff0) is one
/// cross-page block.
fn straddling_loop_image(iters: u32) -> Vec<u8> {
    let (t0, t1, t2, s1) = (5, 6, 7, 9);
    let mut b = vec![0u8; 0x101c];
    let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
    let w = |v: u32| v.to_le_bytes();
    put(0, &w(lui(t1, iters >> 12)));
    put(4, &w(0x7ed0_006f)); // j 0xff0
    put(0xff0, &w(addi(t1, t1, -1)));
    put(0xff4, &w(addi(t2, t2, 1)));
    put(0xff8, &w(addi(t0, t0, 1)));
    put(0xffc, &0x0285u16.to_le_bytes()); // c.addi t0,1
    put(0xffe, &w(addi(s1, s1, 3))); // straddles the page end
    put(0x1002, &w(0xfe03_17e3)); // bnez t1,0xff0
    put(0x1006, &w(lui(t0, 0x100))); // the test finisher
    put(0x100a, &w(lui(t2, 5)));
    put(0x100e, &w(addi(t2, t2, 0x555)));
    put(0x1012, &w(0x0072_a023)); // sw t2,0(t0)
    put(0x1016, &w(0x0000_006f)); // j .
    let words: Vec<u32> = b.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    elf(0x8000_0000, &words)
}

/// `-d jit` on a hot loop straddling a page: the loop is translated as a
/// cross-page block, so the blocks run in the interpreter stay nearly the
/// same for ten times the iterations (they grew by one per iteration when
/// the straddling instruction ran uncached): what is left is a partial
/// block where a 64K-instruction slice ends.
#[test]
fn a_loop_straddling_a_page_runs_translated() {
    let run = |iters: u32| {
        let image = temp_file(&format!("straddle-{iters}.elf"), &straddling_loop_image(iters));
        let image = image.to_str().unwrap();
        let o = run_args(&["-d", "jit", "-machine", "virt", "-bios", "none", "-nographic", "-kernel", image], LIMIT);
        assert_eq!(o.code, Some(0), "the finisher's pass code: {}", o.stderr);
        let cross: u64 = value(&o.stderr, "cross page TB count").split(' ').next().unwrap().parse().unwrap();
        assert!(cross >= 1, "{}", o.stderr);
        let interpreted = value(&o.stderr, "translated TBs").split("interpreted blocks=").nth(1).unwrap();
        interpreted.trim_end_matches(')').parse::<u64>().unwrap()
    };
    let (few, many) = (run(16 << 10), run(160 << 10));
    // 160K iterations are about 1M instructions: 15 more slices.
    assert!(many <= few + 32, "interpreted blocks: {few} for 16K iterations, {many} for 160K");
}

/// `TERN_JIT_FIXED_PINNING` (a measurement hook) keeps the default pinned
/// registers: `qsort`, which the adaptive choice re-pins (its partition
/// loop's a6 and a7 are busier than ra or a0), runs with the default set
/// and no change, and prints its checksum as without the hook.
#[test]
fn a_fixed_pinning_keeps_the_default_registers() {
    let args = ["-d", "jit", "-machine", "virt", "-bios", "none", "-nographic", "-kernel", &rom("bench/qsort.elf")];
    let mut c = tern();
    c.args(args).env("TERN_JIT_FIXED_PINNING", "1");
    let o = Running::start(c).finish(LIMIT);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("qsort checksum: 0xf0629bd9434e9077"), "{}", o.stdout);
    assert_eq!(value(&o.stderr, "pinned registers"), "sp a0 a5 ra a1 a2 a3 a4 s0 (changed 0 times)");
}

//! The `tern` binary's command line: errors, informational options, exit codes
//! and signals, run as a user would.

mod common;

use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(20);
/// The test hook that makes a handler panic (`src/run.rs`).
const TEST_PANIC_AFTER: &str = "TERN_TEST_PANIC_AFTER";

/// Every malformed command line: exactly one line on stderr starting `tern: `, exit 1,
/// nothing on stdout, and no panic text.
#[test]
fn errors_are_one_line_and_exit_1() {
    let cases: &[(&[&str], &str)] = &[
        (&["-m", "foo"], "tern: -m foo: Parameter 'size' expects a non-negative number below 2^64"),
        (&["-m", "0"], "tern: -m 0: RAM size must be greater than zero"),
        (&["-m", "-1"], "tern: -m -1: Parameter 'size'"),
        (&["-m", "99999999999999999999999"], "tern: -m 99999999999999999999999: Parameter 'size'"),
        (&["-m", "16E"], "tern: -m 16E: Parameter 'size'"),
        (&["-m", "1T"], "tern: -m 1T: RAM size above the maximum"),
        (&["-m", "size=abc"], "tern: -m size=abc: Parameter 'size'"),
        (&["-m"], "tern: -m: requires an argument"),
        (&["-kernel"], "tern: -kernel: requires an argument"),
        (&["--machine"], "tern: --machine: requires an argument"),
        (&["-bios"], "tern: -bios: requires an argument"),
        (&["-d"], "tern: -d: requires an argument"),
        (&["-D"], "tern: -D: requires an argument"),
        (&["-max-insns"], "tern: -max-insns: requires an argument"),
        (&["-bogus"], "tern: -bogus: invalid option"),
        (&["-"], "tern: -: invalid option"),
        (&["disk.img"], "tern: disk.img: disk images are not supported"),
        (&["-machine", "pc"], "tern: -machine pc: unsupported machine type 'pc'"),
        (&["-machine", "virt,aclint=on"], "tern: -machine virt,aclint=on: property 'virt-machine.aclint'"),
        (&["-M", "spike,x"], "tern: -M spike,x: property 'spike-machine.x'"),
        (&["-accel", "kvm"], "tern: -accel kvm: invalid accelerator kvm"),
        (&["-serial", "pty"], "tern: -serial pty: 'pty' is not a valid char driver"),
        (&["-d", "in_asm,nope"], "tern: -d in_asm,nope: unknown -d item 'nope'"),
        (&["-max-insns", "0"], "tern: -max-insns 0: the instruction limit must be at least 1"),
        (&["-max-insns", "99999999999999999999"], "tern: -max-insns 99999999999999999999: expects"),
        (&["-smp", "4"], "tern: -smp 4: only one hart is supported"),
        (&["-initrd", "rd.cpio"], "tern: -initrd only allowed with -kernel option"),
        (&["-append", "console=ttyS0"], "tern: -append only allowed with -kernel option"),
        (&["-kernel", "k", "-initrd"], "tern: -initrd: requires an argument"),
        (&["-kernel", "k", "-dtb"], "tern: -dtb: requires an argument"),
        (&["-machine", "virt", "-bios", "none", "-kernel", "/nonexistent/k.elf"], "tern: "),
        (&["-machine", "virt", "-bios", "/nonexistent/fw.bin", "-kernel", "/nonexistent/k.elf"], "tern: "),
        (&["-D", "/nonexistent/dir/log", "-kernel", "x"], "tern: -D /nonexistent/dir/log: cannot open log file"),
    ];
    for (args, want) in cases {
        let o = run_args(args, LIMIT);
        assert_eq!(o.code, Some(1), "{args:?}: exit code; stderr: {}", o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{args:?}: stderr must be one line: {:?}", o.stderr);
        assert!(o.stderr.starts_with(want), "{args:?}: got {:?}, want prefix {want:?}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{args:?}");
        assert_eq!(o.stdout, "", "{args:?}");
    }
}

#[test]
fn load_errors_name_the_file() {
    for board in ["spike", "virt"] {
        let o = run_args(&["-machine", board, "-bios", "none", "-nographic", "-kernel", "/nonexistent/k.elf"], LIMIT);
        assert_eq!(o.code, Some(1));
        assert!(o.stderr.contains("/nonexistent/k.elf"), "{board}: {}", o.stderr);
        // A directory, and an ELF whose segment lies outside RAM (QEMU would run garbage there).
        let outside = temp_file(&format!("outside-{board}.elf"), &elf(0x4000_0000, &[JUMP_SELF]));
        for k in [env!("CARGO_TARGET_TMPDIR"), outside.to_str().unwrap()] {
            let o = run_args(&["-machine", board, "-bios", "none", "-kernel", k, "-max-insns", "1000"], LIMIT);
            assert_eq!((o.code, o.stderr.lines().count()), (Some(1), 1), "{board} {k}: {}", o.stderr);
            assert!(o.stderr.starts_with("tern: ") && o.stderr.contains(k), "{}", o.stderr);
            assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
        }
    }
}

/// -initrd and -dtb files that cannot be used: one line naming the file, in QEMU's words.
#[test]
fn initrd_and_dtb_errors_name_the_file() {
    let kernel = temp_file("initrd-kernel.elf", &elf(0x8000_0000, &[JUMP_SELF]));
    let k = kernel.to_str().unwrap();
    let bad_dtb = temp_file("bad.dtb", b"garbage\n");
    let big = temp_file("big-initrd", &vec![0u8; 1 << 20]);
    let (bad_dtb, big) = (bad_dtb.to_str().unwrap(), big.to_str().unwrap());
    let base = ["-machine", "virt", "-bios", "none", "-kernel", k, "-max-insns", "1000"];
    let cases: &[(&[&str], String)] = &[
        (&["-initrd", "/nonexistent/rd"], "tern: could not load ramdisk '/nonexistent/rd': No such file".into()),
        (
            &["-initrd", env!("CARGO_TARGET_TMPDIR")],
            format!("tern: could not load ramdisk '{}'", env!("CARGO_TARGET_TMPDIR")),
        ),
        // 4 MiB of RAM: the initrd at +2 MiB runs into the device tree at the end.
        (&["-m", "4M", "-initrd", big], "tern: the device tree at 0x80200000".into()),
        (&["-dtb", "/nonexistent/x.dtb"], "tern: could not load device tree '/nonexistent/x.dtb': No such file".into()),
        (&["-dtb", bad_dtb], format!("tern: device tree '{bad_dtb}': FDT_ERR_BADMAGIC")),
    ];
    for (extra, want) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let o = run_args(&args, LIMIT);
        assert_eq!((o.code, o.stderr.lines().count()), (Some(1), 1), "{extra:?}: {}", o.stderr);
        assert!(o.stderr.starts_with(want.as_str()), "{extra:?}: got {:?}, want {want:?}", o.stderr);
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    }
    // spike: QEMU 7.2 ignores -dtb; Tern runs as well and says so once.
    let o = run_args(&["-M", "spike", "-bios", "none", "-kernel", k, "-dtb", bad_dtb, "-max-insns", "1000"], LIMIT);
    assert_eq!(o.code, Some(124), "{}", o.stderr);
    assert_eq!(o.stderr, "tern: warning: -dtb is ignored on spike (as in QEMU 7.2)\n");
}

#[test]
fn non_utf8_option_is_an_error_not_a_panic() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let mut c = tern();
    c.arg(OsString::from_vec(vec![b'-', b'm', 0xff]));
    let o = Running::start(c).finish(LIMIT);
    assert_eq!(o.code, Some(1));
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    assert!(o.stderr.starts_with("tern: "), "{}", o.stderr);
    let mut c = tern();
    c.arg("-machine").arg(OsString::from_vec(vec![b'v', 0xfe]));
    let o = Running::start(c).finish(LIMIT);
    assert_eq!((o.code, o.stderr.lines().count()), (Some(1), 1), "{}", o.stderr);
}

#[test]
fn informational_options_print_and_exit_0() {
    let v = run_args(&["-version"], LIMIT);
    assert_eq!(v.code, Some(0));
    let mut lines = v.stdout.lines();
    assert_eq!(lines.next(), Some(format!("Tern emulator version {}", env!("CARGO_PKG_VERSION")).as_str()));
    assert!(lines.next().unwrap_or_default().contains("qemu-system-riscv64"));
    assert_eq!(v.stderr, "");
    assert_eq!(run_args(&["--version"], LIMIT).stdout, v.stdout);

    for h in ["-h", "-help", "--help"] {
        let o = run_args(&[h], LIMIT);
        assert_eq!(o.code, Some(0), "{h}");
        for opt in ["-machine", "-m ", "-bios", "-kernel", "-nographic", "-serial", "-S ", "-d ", "-D ", "-accel"] {
            assert!(o.stdout.contains(opt), "{h} lacks {opt}");
        }
        assert!(o.stdout.contains("-max-insns N") && o.stdout.contains("124"), "{h}");
        assert!(o.stdout.contains("3 when -accel lockstep finds"), "{h}");
        assert!(o.stdout.contains("tern monitor-command SOCKET"), "{h}");
    }

    let o = run_args(&["-machine", "help"], LIMIT);
    assert_eq!(o.code, Some(0));
    assert_eq!(o.stdout.lines().next(), Some("Supported machines are:"));
    assert!(o.stdout.lines().any(|l| l.starts_with("spike ") && l.contains("(default)")));
    assert!(o.stdout.lines().any(|l| l.starts_with("virt ")));

    let o = run_args(&["-d", "help"], LIMIT);
    assert_eq!(o.code, Some(0));
    for (item, _, _) in cpu_riscv::dlog::LOG_ITEMS {
        assert!(o.stdout.lines().any(|l| l.starts_with(item)), "-d help lacks {item}");
    }
    let o = run_args(&["-accel", "help"], LIMIT);
    assert_eq!(o.code, Some(0));
    assert!(o.stdout.contains("interp") && o.stdout.contains("lockstep"));
    assert!(o.stdout.lines().any(|l| l.starts_with("jit ") && l.contains("(default)")), "{}", o.stdout);
}

/// A guest spinning forever stops at the instruction limit with status 124, on both boards.
#[test]
fn instruction_limit_exits_124() {
    let image = temp_file("spin.elf", &elf(0x8000_0000, &[addi(5, 5, 1), JUMP_SELF]));
    for board in ["spike", "virt"] {
        let o = run_args(
            &[
                "-machine",
                board,
                "-bios",
                "none",
                "-nographic",
                "-kernel",
                image.to_str().unwrap(),
                "-max-insns",
                "100000",
            ],
            LIMIT,
        );
        assert!(!o.timed_out, "{board}: did not stop");
        assert_eq!(o.code, Some(124), "{board}: stderr {}", o.stderr);
        assert_eq!(o.stderr, "", "{board}");
    }
}

/// A bug in Tern (a handler panicking on purpose through `TERN_TEST_PANIC_AFTER`)
/// ends the run cleanly under every engine: status 1 (not SIGABRT), one line
/// naming the panic and the guest pc, and the guest's output so far kept. Under
/// the JIT the panic is in a helper called from generated code: the loop is
/// translated long before the panicking iteration (shown by `-d out_asm`).
#[test]
fn a_panic_in_a_handler_is_an_internal_error_under_every_engine() {
    // Print, then loop 1000 times over `addi t2,t2,-1; csrr t3,mstatus; bnez t2`
    // (mstatus: a CSR the JIT leaves to its helper, unlike mscratch).
    let text = "before-panic\n";
    let mut code = print_then_loop(text);
    code.pop(); // the final jump to itself comes after the loop
    let prefix = code.len() as u64 + 1; // instructions retired before the loop
    let csrr = (0x300 << 20) | (2 << 12) | (28 << 7) | 0x73; // csrrs t3, mstatus, zero
    let bnez_back_8 = 0xfe03_9ce3; // bne t2, zero, -8
    code.extend([addi(7, 0, 1000), addi(7, 7, -1), csrr, bnez_back_8, JUMP_SELF]);
    let csrr_pc = 0x8000_0000 + 4 * (prefix + 1);
    let image = temp_file("panic-loop.elf", &elf(0x8000_0000, &code));
    // The csrr of iteration 500 (0-based) is the first at instret >= N.
    let n = prefix + 3 * 500;
    let log = temp_file("panic-out-asm.log", b"");
    for accel in ["jit", "interp", "lockstep"] {
        let mut c = tern();
        c.args(["-accel", accel, "-machine", "virt", "-bios", "none", "-nographic", "-max-insns", "1000000"]);
        c.args(["-kernel", image.to_str().unwrap()]);
        if accel == "jit" {
            c.args(["-d", "in_asm,out_asm", "-D", log.to_str().unwrap()]);
        }
        c.env(TEST_PANIC_AFTER, n.to_string()).env_remove("RUST_BACKTRACE");
        let o = Running::start(c).finish(LIMIT);
        assert!(!o.timed_out, "{accel}");
        assert_eq!(o.code, Some(1), "{accel}: killed by a signal if None (abort: SIGABRT); stderr {}", o.stderr);
        assert_eq!(
            o.stderr,
            format!(
                "tern: internal error: TERN_TEST_PANIC_AFTER={n}: a handler panics on purpose at pc 0x{csrr_pc:x}\n"
            ),
            "{accel}"
        );
        assert_eq!(o.stdout, text, "{accel}: the guest's output so far");
    }
    // The block holding the csrr was translated (its guest code is logged,
    // then its host code), so the panic came through generated code.
    let log = std::fs::read_to_string(&log).unwrap();
    let at = format!("0x{csrr_pc:016x}:");
    assert!(
        log.split("IN: \n").any(|entry| entry.contains(&at) && entry.contains("\nOUT: [size=")),
        "the loop was not translated: {log}"
    );
    // Without the hook the same image runs to the instruction limit.
    let o = run_args(
        &[
            "-machine",
            "virt",
            "-bios",
            "none",
            "-nographic",
            "-max-insns",
            "100000",
            "-kernel",
            image.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (Some(124), text, ""));
}

/// Firmware with nothing to boot spins, as in QEMU; Tern says so once on stderr.
#[test]
fn firmware_without_a_kernel_is_noted() {
    let o = run_args(&["-machine", "virt", "-serial", "none", "-max-insns", "3000000"], LIMIT);
    assert_eq!(o.code, Some(124), "stderr {}", o.stderr);
    assert_eq!(
        o.stderr,
        "tern: note: no -kernel, so the firmware has no next stage and will spin until Ctrl-C (as in QEMU)\n"
    );
}

/// Ctrl-C while the guest runs: exit 130, and what the guest printed is all there.
#[test]
fn sigint_exits_130_keeping_output() {
    let image = temp_file("hello-spin.elf", &elf(0x8000_0000, &print_then_loop("tern-says-hi")));
    let mut c = tern();
    c.args(["-machine", "virt", "-bios", "none", "-nographic", "-kernel", image.to_str().unwrap()]);
    let r = Running::start(c);
    assert!(wait_until(LIMIT, || r.catches(2)), "no SIGINT handler installed");
    // The text may be buffered; give the guest time to write it, then interrupt.
    wait_until(Duration::from_secs(2), || r.stdout_now().contains("tern-says-hi"));
    r.signal("INT");
    let o = r.finish(LIMIT);
    assert!(!o.timed_out, "Ctrl-C did not stop tern");
    assert_eq!(o.code, Some(130), "stderr: {}", o.stderr);
    assert!(o.stdout.contains("tern-says-hi"), "output lost: {:?}", o.stdout);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
}

/// `-S` waits (no monitor yet) until a signal; SIGTERM ends it cleanly too.
#[test]
fn paused_machine_waits_for_a_signal() {
    let image = temp_file("paused.elf", &elf(0x8000_0000, &print_then_loop("must-not-run")));
    for sig in ["INT", "TERM"] {
        let mut c = tern();
        c.args(["-S", "-machine", "virt", "-bios", "none", "-nographic", "-kernel", image.to_str().unwrap()]);
        let mut r = Running::start(c);
        assert!(wait_until(LIMIT, || r.catches(2) && r.catches(15)), "no signal handlers");
        std::thread::sleep(Duration::from_millis(200));
        assert!(r.child.try_wait().unwrap().is_none(), "-S must wait");
        r.signal(sig);
        let o = r.finish(LIMIT);
        assert_eq!(o.code, Some(130), "SIG{sig}: {}", o.stderr);
        assert_eq!(o.stdout, "", "a paused guest must not run");
    }
}

/// Writing to a full device must not panic (print! would).
#[test]
fn full_stdout_and_stderr_do_not_panic() {
    use std::fs::OpenOptions;
    let full = || OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let mut c = tern();
    c.arg("-help").stdout(full());
    let o = Running::start_without_stdout(c).finish(LIMIT);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let mut c = tern();
    c.arg("-bogus").stderr(full());
    let mut child = c.spawn().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

/// `-serial file:PATH` and `-serial none` redirect or drop the UART; stdout stays clean.
#[test]
fn serial_backends_route_guest_output() {
    let image = temp_file("serial.elf", &elf(0x8000_0000, &print_then_loop("via-uart")));
    let out = temp_file("serial-out.txt", b"stale");
    let serial = format!("file:{}", out.display());
    let base = ["-machine", "virt", "-bios", "none", "-nographic", "-kernel", image.to_str().unwrap()];
    let o = run_args(&[&base[..], &["-serial", &serial, "-max-insns", "10000"]].concat(), LIMIT);
    assert_eq!(o.code, Some(124), "{}", o.stderr);
    assert_eq!(o.stdout, "");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "via-uart", "file: must replace the old contents");
    let o = run_args(&[&base[..], &["-serial", "none", "-max-insns", "10000"]].concat(), LIMIT);
    assert_eq!((o.code, o.stdout.as_str()), (Some(124), ""), "{}", o.stderr);
    let o = run_args(&[&base[..], &["-max-insns", "10000"]].concat(), LIMIT);
    assert_eq!((o.code, o.stdout.as_str()), (Some(124), "via-uart"), "{}", o.stderr);
}

/// `-d in_asm -D FILE` writes the guest code log to FILE, not stderr.
#[test]
fn debug_log_goes_to_the_d_file() {
    let image = temp_file("logged.elf", &elf(0x8000_0000, &[addi(5, 5, 1), JUMP_SELF]));
    let log = temp_file("in_asm.log", b"");
    let o = run_args(
        &[
            "-machine",
            "spike",
            "-bios",
            "none",
            "-kernel",
            image.to_str().unwrap(),
            "-max-insns",
            "1000",
            "-d",
            "in_asm",
            "-D",
            log.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(o.code, Some(124), "{}", o.stderr);
    assert_eq!(o.stderr, "", "the log must not go to stderr with -D");
    let text = std::fs::read_to_string(&log).unwrap();
    // The guest's first instruction, `addi t0,t0,1` = 0x00128293, at its address.
    assert!(
        text.contains("0x0000000080000000:") && text.contains("00128293"),
        "in_asm log lacks the guest code: {text:?}"
    );
    // Without -D the same log is on stderr.
    let o = run_args(
        &[
            "-machine",
            "spike",
            "-bios",
            "none",
            "-kernel",
            image.to_str().unwrap(),
            "-max-insns",
            "1000",
            "-d",
            "in_asm",
        ],
        LIMIT,
    );
    assert!(o.stderr.contains("00128293"), "{}", o.stderr);
}

/// A guest stuck in a trap loop (a load from address 0 faults, mtvec is 0, and fetching
/// from 0 faults again) retires nothing, yet must stop at the instruction limit too.
/// Ignored until the machine counts trapped instructions against `max_insns`
/// (it counts `instret`, which traps do not advance).
#[test]
fn instruction_limit_stops_a_trap_loop() {
    let image = temp_file("trap-loop.elf", &elf(0x8000_0000, &[0x0000_0003 /* lb zero,0(zero) */]));
    let o = run_args(
        &["-machine", "virt", "-bios", "none", "-kernel", image.to_str().unwrap(), "-max-insns", "1000"],
        LIMIT,
    );
    assert!(!o.timed_out, "a trap loop did not stop at -max-insns");
    assert_eq!(o.code, Some(124), "{}", o.stderr);
}

/// `-accel jit` runs images to the same output and exit code as the
/// interpreter (every image is checked under the JIT in `crates/jit/tests`).
#[test]
fn accel_jit_runs_like_the_interpreter() {
    let roms = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("roms/build");
    for (board, image) in
        [("virt", "demo/hello.elf"), ("virt", "selftest/virt-exit5.elf"), ("spike", "isa/rv64ui-add.elf")]
    {
        let image = roms.join(image);
        let args = |accel| {
            ["-accel", accel, "-machine", board, "-bios", "none", "-nographic", "-kernel", image.to_str().unwrap()]
        };
        let (i, j) = (run_args(&args("interp"), LIMIT), run_args(&args("jit"), LIMIT));
        assert!(!i.timed_out && !j.timed_out, "{}", image.display());
        assert_eq!((j.code, &j.stdout), (i.code, &i.stdout), "{}: stderr {}", image.display(), j.stderr);
    }
    // With -d exec the JIT leaves every block to Rust (no chaining), so the
    // trace is the interpreter's, block for block.
    let image = roms.join("isa/rv64ui-add.elf");
    let traces: Vec<String> = ["interp", "jit"]
        .iter()
        .map(|accel| {
            let a = ["-accel", accel, "-d", "exec", "-machine", "spike", "-bios", "none", "-kernel"];
            let o = run_args(&[&a[..], &[image.to_str().unwrap()]].concat(), LIMIT);
            assert_eq!(o.code, Some(0), "{accel}: {}", o.stderr);
            o.stderr.lines().filter(|l| l.starts_with("Trace ")).collect::<Vec<_>>().join("\n")
        })
        .collect();
    assert!(traces[0].lines().count() > 10, "interpreter trace: {}", traces[0]);
    assert_eq!(traces[0], traces[1], "-d exec traces differ");
}

/// A perf map (`-perfmap`) of a child `tern`, removed when the test ends.
struct PerfMapFile(std::path::PathBuf);

impl PerfMapFile {
    fn of(pid: u32) -> PerfMapFile {
        PerfMapFile(format!("/tmp/perf-{pid}.map").into())
    }
    fn read(&self) -> Option<String> {
        std::fs::read_to_string(&self.0).ok()
    }
}

impl Drop for PerfMapFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A perf map line: start, size, name.
fn map_line(l: &str) -> (u64, u64, &str) {
    let mut f = l.splitn(3, ' ');
    let mut hex = || u64::from_str_radix(f.next().unwrap_or(""), 16).unwrap_or_else(|e| panic!("{l:?}: {e}"));
    let (start, size) = (hex(), hex());
    let name = f.next().unwrap_or_else(|| panic!("no name: {l:?}"));
    assert!(start > 0 && size > 0 && !name.is_empty(), "{l:?}");
    (start, size, name)
}

/// `-perfmap` writes one line per translated block, `START SIZE NAME` in
/// perf's format, named after the guest function (QEMU 8's names), after the
/// trampoline's line; blocks are exactly those the JIT reports translating.
/// No two lines name the same bytes, across new pinnings too where the
/// run has any (each drops every block; the JIT's own test forces them:
/// `perfmap_lines_never_name_the_same_bytes_across_new_pinnings`): perf
/// names a sample by the first line covering it.
#[test]
fn perfmap_names_each_block_after_its_guest_function() {
    let roms = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("roms/build");
    let log = temp_file("perfmap-jit.log", b"");
    let mut c = tern();
    let image = roms.join("bench/mix.elf");
    c.args(["-machine", "virt", "-bios", "none", "-nographic", "-perfmap"]);
    c.args(["-d", "jit", "-D", log.to_str().unwrap(), "-kernel", image.to_str().unwrap()]);
    let run = Running::start(c);
    let map = PerfMapFile::of(run.child.id());
    let o = run.finish(LIMIT);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let text = map.read().expect("the map file exists");
    let all: Vec<(u64, u64, &str)> = text.lines().map(map_line).collect();
    assert_eq!(all[0].2, "tcg-prologue-buffer", "the trampoline first, as QEMU's prologue");
    // The JIT's own count of blocks and code bytes (`-d jit`), since the
    // last new pinning, whose trampoline is the last.
    let report = std::fs::read_to_string(&log).unwrap();
    let stat = |key: &str| -> u64 {
        let l = report.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("{key}: {report}"));
        l[key.len()..].trim().split(['/', ' ']).next().unwrap().parse().unwrap()
    };
    let tramps: Vec<usize> = (0..all.len()).filter(|&k| all[k].2 == "tcg-prologue-buffer").collect();
    let repins = report.split("(changed ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok());
    assert_eq!(repins, Some(tramps.len() - 1), "a trampoline per pinning: {report}");
    let last = *tramps.last().unwrap();
    let current = &all[last + 1..];
    let blocks: Vec<(u64, u64, &str)> = all.iter().copied().filter(|b| b.2 != "tcg-prologue-buffer").collect();
    assert_eq!(blocks.len() as u64, stat("translated TBs"), "one line per block translated");
    assert_eq!(stat("TB invalidate count"), 0, "{report}");
    assert_eq!(current.len() as u64, stat("TB count"), "one line per block there is");
    assert_eq!(current.iter().map(|b| b.1).sum::<u64>(), stat("gen code size"), "sizes add up to the code used");
    // Blocks are laid one after another in the code buffer, none
    // overlapping another or a trampoline, of any pinning.
    let mut sorted = all.clone();
    sorted.sort();
    assert!(sorted.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0), "overlapping lines: {text}");
    // Names: `sym` or `sym+0xOFF` inside the symbol (nm: main 0x3ee bytes, list_sort 124), else `guest-0xPC`.
    let funcs = [("main", 0x3ee), ("list_sort", 124), ("_start", 0x5c)];
    let mut named = std::collections::HashSet::new();
    for (_, _, name) in &blocks {
        if let Some(pc) = name.strip_prefix("guest-0x") {
            assert!(u64::from_str_radix(pc, 16).is_ok(), "{name}");
            continue;
        }
        let (sym, off) = name.split_once("+0x").map_or((*name, 0), |(s, o)| (s, u64::from_str_radix(o, 16).unwrap()));
        if let Some((_, size)) = funcs.iter().find(|f| f.0 == sym) {
            assert!(off < *size, "{name} lies past the end of {sym}");
        }
        named.insert(sym);
    }
    assert!(named.contains("main") && named.contains("list_sort"), "hot guest functions named: {named:?}");
}

/// The map is written while the guest runs (perf top, perf record of a
/// running process), not only at exit; under the interpreter it stays
/// empty, as QEMU's without TCG; without -perfmap there is none.
#[test]
fn perfmap_is_written_while_the_guest_runs() {
    let image = temp_file("perfmap-loop.elf", &elf(0x8000_0000, &print_then_loop("hi\n")));
    let args = ["-machine", "virt", "-bios", "none", "-nographic", "-kernel", image.to_str().unwrap()];
    let mut c = tern();
    c.args(args).arg("-perfmap");
    let run = Running::start(c);
    let map = PerfMapFile::of(run.child.id());
    // No symbols in this image: the loop's block (the only one run often
    // enough to be translated) is named by its pc.
    let loop_pc = 0x8000_0000 + 4 * (print_then_loop("hi\n").len() as u64 - 1);
    let line_end = format!(" guest-{loop_pc:#x}");
    let written = wait_until(LIMIT, || map.read().is_some_and(|t| t.lines().any(|l| l.ends_with(&line_end))));
    run.signal("TERM");
    let o = run.finish(LIMIT);
    assert!(written, "the loop's block never reached the map: {:?}", map.read());
    assert_eq!((o.code, o.stdout.as_str()), (Some(130), "hi\n"), "{}", o.stderr);

    for (accel, file) in [("interp", true), ("jit", false)] {
        let mut c = tern();
        c.args(args).args(["-accel", accel, "-max-insns", "100000"]);
        if file {
            c.arg("-perfmap");
        }
        let run = Running::start(c);
        let map = PerfMapFile::of(run.child.id());
        let o = run.finish(LIMIT);
        assert_eq!(o.code, Some(124), "{accel}: {}", o.stderr);
        assert_eq!(map.read(), file.then(String::new), "{accel}");
    }
}

//! Running a machine: it executes on its own thread (the QMP monitor will later
//! run on another), while the main thread waits for it and handles signals.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::mpsc::{self, Sender};

use crossbeam_channel::Receiver;
use std::thread;

use cpu_riscv::HostPanic;
use machine::control::Handle;
use machine::{BoardKind, Config, Firmware, LinuxBoot, Machine, RunExit, Serial};

use crate::cli::{Accel, Bios, Board, Kernel, Options, SerialOpt};

/// Exit status when `-max-insns` is reached, as timeout(1) uses.
pub const EXIT_INSN_LIMIT: u8 = 124;
/// Exit status when interrupted (128 + SIGINT, as a shell reports Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;
/// Exit status when `-accel lockstep` finds a block after which the JIT and
/// the interpreter disagree (the report goes to stderr).
pub const EXIT_LOCKSTEP: u8 = 3;
/// Environment variable: under `-accel lockstep`, flip a bit of `x31` after
/// the JIT runs block N (1-based), to see a divergence reported.
pub const LOCKSTEP_INJECT: &str = "TERN_LOCKSTEP_INJECT";
/// Exit status for command-line, load and internal errors.
pub const EXIT_ERROR: u8 = 1;
/// Environment variable: the first CSR instruction executed once N
/// instructions have retired panics in its handler, to see an internal error
/// reported (a test hook; see `cpu_riscv::host_panic::panic_after`).
pub const TEST_PANIC_AFTER: &str = "TERN_TEST_PANIC_AFTER";

/// The demo image that `tern` with no arguments runs (see build.rs).
#[cfg(tern_demo)]
pub const DEMO: Option<&[u8]> = Some(include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/roms/build/demo/hello.elf")));
#[cfg(not(tern_demo))]
pub const DEMO: Option<&[u8]> = None;

/// What the main thread hears about.
enum Event {
    /// The machine is built; this handle stops it. It waits for the go-ahead.
    Ready(Handle, Option<Receiver<machine::control::Event>>, u64),
    /// SIGINT, SIGTERM or SIGHUP.
    Signal,
    /// The machine thread is finished.
    Done(Result<RunExit, String>),
}

/// Build the machine's configuration from the options.
fn config(o: &Options) -> Result<Config, String> {
    let (kernel, kernel_bytes) = match &o.kernel {
        Kernel::None => (None, None),
        Kernel::File(p) => (Some(p.clone()), None),
        Kernel::Demo => match DEMO {
            Some(bytes) => (None, Some(bytes.to_vec())),
            None => {
                return Err("this binary was built without the demo image (build it with roms/build.sh and \
                            rebuild, or give -kernel FILE)"
                    .into())
            }
        },
    };
    Ok(Config {
        board: match o.board {
            Board::Spike => BoardKind::Spike,
            Board::Virt => BoardKind::Virt,
        },
        ram_size: o.ram_size,
        bios: match &o.bios {
            Bios::Default => Firmware::Default,
            Bios::None => Firmware::None,
            Bios::File(p) => Firmware::File(p.clone()),
        },
        kernel,
        kernel_bytes,
        serial: match &o.serial {
            SerialOpt::Stdio => Serial::Stdio,
            SerialOpt::None => Serial::None,
            SerialOpt::File(p) => Serial::File(p.clone()),
        },
        max_insns: o.max_insns,
    })
}

/// The Linux boot options for the machine.
fn linux_boot(o: &Options) -> LinuxBoot {
    LinuxBoot { initrd: o.initrd.clone(), append: o.append.clone(), dtb: o.dtb.clone() }
}

/// Whether `host` names only loopback addresses (a name that does not resolve is not).
fn is_loopback(host: &str) -> bool {
    use std::net::ToSocketAddrs;
    match (host, 0).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

/// One line, whatever the message: errors are printed as `tern: <line>`.
pub fn one_line(msg: &str) -> String {
    msg.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// Run the machine the options describe and return the process exit status.
/// Errors (already one line) are for the caller to print.
pub fn run(o: Options) -> Result<u8, String> {
    let cfg = config(&o)?;
    if o.dtb.is_some() && o.board == Board::Spike {
        // QEMU 7.2's spike builds its own tree whatever -dtb says; say so.
        let _ = writeln!(std::io::stderr(), "tern: warning: -dtb is ignored on spike (as in QEMU 7.2)");
    }
    for m in &o.monitors {
        if let qmp::Chardev::Tcp { host, port, .. } = &m.chardev {
            if !is_loopback(host) {
                let _ = writeln!(
                    std::io::stderr(),
                    "tern: warning: the monitor on {host}:{port} is reachable from other hosts; \
                     whoever connects controls the guest and can write host files (memsave)"
                );
            }
        }
    }
    if o.kernel == Kernel::None && o.bios != Bios::None && o.monitors.is_empty() {
        // QEMU says nothing and the firmware spins at 100% CPU; say why once.
        let _ = writeln!(
            std::io::stderr(),
            "tern: note: no -kernel, so the firmware has no next stage and will spin until Ctrl-C (as in QEMU)"
        );
    }
    let log_out: Box<dyn Write + Send> = match &o.log_file {
        Some(p) => match File::create(p) {
            Ok(f) => Box::new(BufWriter::new(f)),
            Err(e) => return Err(format!("-D {}: cannot open log file: {e}", p.display())),
        },
        None => Box::new(std::io::stderr()),
    };

    let (tx, rx) = mpsc::channel::<Event>();
    let sig_tx = tx.clone();
    // Fails only if a handler is already installed (never, here); Ctrl-C then just kills us.
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = sig_tx.send(Event::Signal);
    }) {
        log::warn!("cannot handle Ctrl-C: {e}");
    }

    let setup = Setup {
        paused: o.paused,
        no_shutdown: o.no_shutdown,
        monitor: !o.monitors.is_empty(),
        perfmap: o.perfmap,
        boot: linux_boot(&o),
    };
    let mask = o.log_mask;
    let accel = o.accel;
    let thread_tx = tx.clone();
    // The machine starts running when this sender sends (or is dropped, on a signal).
    let (go_tx, go_rx) = crossbeam_channel::bounded::<()>(1);
    let mut go_tx = Some(go_tx);
    report_machine_panics_once();
    let spawned = thread::Builder::new().name(MACHINE_THREAD.into()).spawn(move || {
        let body = std::panic::AssertUnwindSafe(|| machine_thread(cfg, accel, mask, log_out, setup, go_rx, &thread_tx));
        let result = std::panic::catch_unwind(body).unwrap_or_else(|p| Err(internal_error(&*p)));
        let _ = thread_tx.send(Event::Done(result));
    });
    let handle = spawned.map_err(|e| format!("cannot start the machine thread: {e}"))?;
    drop(tx);

    let mut machine: Option<Handle> = None;
    let mut monitor: Option<qmp::Monitor> = None;
    let mut startup_error = None;
    let mut signals = 0u32;
    let result = loop {
        // The machine thread always sends Done (even after a panic), so this cannot hang.
        let Ok(ev) = rx.recv() else { break Err("internal error: the machine thread vanished".into()) };
        match ev {
            Event::Ready(h, events, thread_id) => {
                if signals > 0 {
                    h.request_exit();
                }
                if let Some(events) = events {
                    let yank =
                        o.monitors.iter().filter(|m| m.chardev != qmp::Chardev::Stdio).map(|m| m.id.clone()).collect();
                    let info = qmp::Info { name: o.name.clone(), ram_size: o.ram_size, thread_id, yank };
                    match qmp::start(o.monitors.clone(), h.clone(), events, info) {
                        Ok(mut m) => {
                            // wait=on: the guest starts once each such monitor has a client.
                            let waits = m.take_waits();
                            if let Some(go) = go_tx.take() {
                                thread::spawn(move || {
                                    for w in waits {
                                        let _ = w.recv();
                                    }
                                    let _ = go.send(());
                                });
                            }
                            monitor = Some(m);
                        }
                        Err(e) => {
                            startup_error = Some(e);
                            h.request_exit();
                            go_tx.take();
                        }
                    }
                } else if let Some(go) = go_tx.take() {
                    let _ = go.send(());
                }
                machine = Some(h);
            }
            Event::Signal => {
                signals += 1;
                if signals > 1 {
                    // A second Ctrl-C while the machine does not stop: leave now. No flush: the
                    // machine thread may hold the stdout lock, blocked on a pipe nobody reads.
                    std::process::exit(EXIT_INTERRUPTED.into());
                }
                if let Some(h) = &machine {
                    h.request_exit();
                }
                go_tx.take();
            }
            Event::Done(r) => break r,
        }
    };
    let _ = handle.join();
    if let Some(m) = &monitor {
        m.finish();
    }
    let _ = std::io::stdout().flush();
    if let Some(e) = startup_error {
        return Err(e);
    }
    let exit = result?;
    if LOCKSTEP_DIVERGED.load(std::sync::atomic::Ordering::Acquire) {
        return Ok(EXIT_LOCKSTEP);
    }
    match exit {
        RunExit::Guest { code } => Ok((code & 0xff) as u8),
        RunExit::InsnLimit => Ok(EXIT_INSN_LIMIT),
        // Without a signal, only a monitor `quit` asks to exit, and QEMU exits 0 then.
        RunExit::ExitRequested => Ok(if signals > 0 { EXIT_INTERRUPTED } else { 0 }),
    }
}

/// The machine thread's name.
const MACHINE_THREAD: &str = "cpu0";

/// A panic on the machine thread (caught there) as one error message: a
/// panic while the guest ran names the guest pc (`Machine::run`).
fn internal_error(payload: &(dyn std::any::Any + Send)) -> String {
    match payload.downcast_ref::<HostPanic>() {
        Some(p) => format!("internal error: {} at pc 0x{:x}", p.message, p.pc),
        None => format!("internal error: {}", cpu_riscv::host_panic::message(payload)),
    }
}

/// Panics on the machine thread become one `internal error` line (see
/// `internal_error`), so the default hook's report is left out there, unless
/// RUST_BACKTRACE asks for it (to debug them).
fn report_machine_panics_once() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if thread::current().name() != Some(MACHINE_THREAD) {
            default(info);
        }
    }));
}

/// Set by the machine thread when `-accel lockstep` found a divergence.
static LOCKSTEP_DIVERGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// What the machine thread sets up before running.
struct Setup {
    paused: bool,
    no_shutdown: bool,
    /// A monitor will want the machine's events.
    monitor: bool,
    /// `-perfmap`.
    perfmap: bool,
    /// `-initrd`, `-append`, `-dtb`.
    boot: LinuxBoot,
}

/// `-perfmap`: create /tmp/perf-PID.map, as QEMU 8 does whatever the
/// accelerator (without generated code it stays empty). A file that cannot
/// be made is a warning, as in QEMU, and the run goes on without it.
fn open_perfmap() -> Option<jit::perfmap::PerfMap> {
    let path = jit::perfmap::PerfMap::path_for(std::process::id());
    match jit::perfmap::PerfMap::create(&path) {
        Ok(map) => Some(map),
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "tern: warning: could not open {}: {e}, proceeding without perfmap",
                path.display()
            );
            None
        }
    }
}

/// The guest's code symbols for the perf map's names.
fn perfmap_symbols(m: &Machine) -> jit::perfmap::Symbols {
    jit::perfmap::Symbols::new(m.guest_symbols().into_iter().map(|s| (s.addr, s.size, s.name)))
}

/// The calling thread's id, as the kernel numbers threads (`query-cpus-fast`).
fn thread_id() -> u64 {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Body of the machine thread: build, wait for the go-ahead, run (from prelaunch if -S), flush.
fn machine_thread(
    cfg: Config,
    accel: Accel,
    mask: u32,
    log_out: Box<dyn Write + Send>,
    setup: Setup,
    go: Receiver<()>,
    tx: &Sender<Event>,
) -> Result<RunExit, String> {
    let mut m = Machine::with_linux_boot(cfg, &setup.boot).map_err(|e| e.to_string())?;
    m.cpu().dlog = cpu_riscv::dlog::DebugLog::new(mask, log_out);
    let mut lockstep = None;
    if accel != Accel::Interp && !cfg!(target_arch = "x86_64") {
        return Err("-accel jit: the JIT generates x86-64 code; use -accel interp on this host".into());
    }
    let mut perfmap = if setup.perfmap { open_perfmap() } else { None };
    // Only generated code is named: the symbols are read for the JIT alone.
    if accel != Accel::Interp {
        if let Some(map) = &mut perfmap {
            map.set_symbols(perfmap_symbols(&m));
        }
    }
    if accel == Accel::Jit {
        let mut jit = jit::Jit::new().map_err(|e| format!("-accel jit: cannot map the code buffer: {e}"))?;
        if let Some(map) = perfmap.take() {
            jit.set_perfmap(map);
        }
        m.cpu().set_engine(Some(Box::new(jit)));
    }
    if accel == Accel::Lockstep {
        let mut ls =
            jit::lockstep::Lockstep::new().map_err(|e| format!("-accel lockstep: cannot map the code buffer: {e}"))?;
        // Test hook for the checker itself: corrupt the JIT's result of block N.
        if let Some(n) = std::env::var(LOCKSTEP_INJECT).ok().and_then(|v| v.parse().ok()) {
            ls.inject_divergence(n);
        }
        let h = m.handle();
        ls.on_divergence(move || h.request_exit());
        lockstep = Some(ls.report());
        if let Some(map) = perfmap.take() {
            ls.set_perfmap(map);
        }
        m.cpu().set_engine(Some(Box::new(ls)));
    }
    if let Some(n) = std::env::var(TEST_PANIC_AFTER).ok().and_then(|v| v.parse().ok()) {
        cpu_riscv::host_panic::panic_after(n);
    }
    if setup.paused {
        m.start_paused();
    }
    m.set_no_shutdown(setup.no_shutdown);
    let events = setup.monitor.then(|| m.subscribe());
    let _ = tx.send(Event::Ready(m.handle(), events, thread_id()));
    // Dropped without a go (a signal, a monitor that failed to start): the
    // handle's exit request makes `run` return at once.
    let _ = go.recv();
    let exit = m.run();
    let cpu = m.cpu();
    if cpu.dlog.enabled(cpu_riscv::dlog::LOG_JIT) {
        // The monitor's `info jit` text.
        match cpu.engine_info() {
            Some(text) => write!(cpu.dlog, "{text}"),
            None => writeln!(cpu.dlog, "JIT information is only available with accel=tcg (-accel interp)"),
        }
    }
    m.cpu().dlog.flush();
    let report = lockstep.and_then(|r| r.lock().unwrap_or_else(|e| e.into_inner()).take());
    if let Some(report) = report {
        let _ = std::io::stdout().flush();
        eprint!("{report}");
        LOCKSTEP_DIVERGED.store(true, std::sync::atomic::Ordering::Release);
    }
    // Dropping the machine flushes and closes its serial backend; the
    // process ends next, so decoded code need not be freed.
    m.cpu().exiting();
    drop(m);
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["0.0.0.0", "::", "10.0.0.1", "192.168.1.1"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn panics_become_internal_errors_with_the_guest_pc() {
        let p = HostPanic { message: "bad op".into(), pc: 0x8000_0074 };
        assert_eq!(internal_error(&p), "internal error: bad op at pc 0x80000074");
        // Outside the guest's run (building the machine): no pc.
        let p = std::panic::catch_unwind(|| panic!("no RAM")).unwrap_err();
        assert_eq!(internal_error(&*p), "internal error: no RAM");
    }

    #[test]
    fn messages_become_one_line() {
        assert_eq!(one_line("a\n  b \n\nc\n"), "a; b; c");
        assert_eq!(one_line("single"), "single");
    }

    #[test]
    fn options_map_to_the_machine_config() {
        let o = Options {
            board: Board::Virt,
            ram_size: 64 << 20,
            bios: Bios::File("fw.bin".into()),
            kernel: Kernel::File("k.elf".into()),
            serial: SerialOpt::File("out.txt".into()),
            max_insns: Some(7),
            ..Options::default()
        };
        let c = config(&o).unwrap();
        assert_eq!((c.board, c.ram_size, c.max_insns), (BoardKind::Virt, 64 << 20, Some(7)));
        assert_eq!(c.bios, Firmware::File("fw.bin".into()));
        assert_eq!((c.kernel, c.kernel_bytes), (Some("k.elf".into()), None));
        assert_eq!(c.serial, Serial::File("out.txt".into()));
        assert_eq!(linux_boot(&o), LinuxBoot::default());
        let o = Options { initrd: Some("rd".into()), append: Some("a b".into()), dtb: Some("t.dtb".into()), ..o };
        let want = LinuxBoot { initrd: Some("rd".into()), append: Some("a b".into()), dtb: Some("t.dtb".into()) };
        assert_eq!(linux_boot(&o), want);
        let c = config(&Options { bios: Bios::None, serial: SerialOpt::None, ..Options::default() }).unwrap();
        assert_eq!((c.board, c.bios, c.serial, c.kernel), (BoardKind::Spike, Firmware::None, Serial::None, None));
        assert_eq!(config(&Options::default()).unwrap().bios, Firmware::Default);
        // The demo comes from the binary, when it was built in.
        match (config(&Options::demo()), DEMO) {
            (Ok(c), Some(demo)) => assert_eq!(c.kernel_bytes.as_deref(), Some(demo)),
            (Err(e), None) => assert!(e.contains("roms/build.sh")),
            (r, d) => panic!("demo config {:?} with demo present: {}", r.map(|c| c.board), d.is_some()),
        }
    }
}

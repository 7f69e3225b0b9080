//! The execution thread serves requests while the guest runs and while stopped.

use std::time::Duration;

use super::*;
use crate::requests::{Cont, MemRead, Quit, ReadMem, Registers, Reset, Roms, Stop, Translate};
use crate::{BoardKind, Config, Firmware, Machine, RunExit, Serial};

const T: Duration = Duration::from_secs(5);

/// `addi t0, t0, 1; j .-4`: a counting loop at the start of RAM.
fn counting_machine() -> Machine {
    machine_with(&[0x0012_8293, 0xffdf_f06f])
}

/// A virt machine running `words` from the start of RAM, no firmware.
fn machine_with(words: &[u32]) -> Machine {
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let cfg = Config {
        board: BoardKind::Virt,
        ram_size: 16 << 20,
        bios: Firmware::None,
        kernel: None,
        kernel_bytes: Some(code),
        serial: Serial::None,
        max_insns: None,
    };
    Machine::new(cfg).unwrap()
}

fn t0(h: &Handle) -> u64 {
    let t = crate::registers_text(&h.request(Registers, T).unwrap());
    let line = t.lines().find(|l| l.contains("x5/t0")).unwrap();
    let field = line.split("x5/t0").nth(1).unwrap().split_whitespace().next().unwrap();
    u64::from_str_radix(field, 16).unwrap()
}

#[test]
fn stop_cont_quit_while_running() {
    let mut m = counting_machine();
    let events = m.subscribe();
    let h = m.handle();
    let runner = std::thread::spawn(move || m.run());
    assert_eq!(h.state(), RunState::Running);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(h.request(Stop, T), Ok(()));
    assert_eq!(h.state(), RunState::Paused);
    let a = t0(&h);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(t0(&h), a, "a paused guest does not run");
    assert!(a > 0, "the guest ran before the stop");
    assert_eq!(h.request(Cont, T), Ok(Ok(())));
    // STOP and RESUME were in the event channel before the answer.
    assert_eq!(h.events_emitted(), 2);
    std::thread::sleep(Duration::from_millis(20));
    assert!(t0(&h) > a, "running again");
    assert_eq!(h.request(Quit, T), Ok(()));
    assert_eq!(runner.join().unwrap(), RunExit::ExitRequested);
    let kinds: Vec<EventKind> = events.try_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Stop, EventKind::Resume, EventKind::Shutdown { guest: false, reason: "host-qmp-quit" }]
    );
    assert_eq!(h.request(Stop, T), Err(RequestError::Gone));
}

#[test]
fn prelaunch_registers_memory_and_reset() {
    let mut m = counting_machine();
    m.start_paused();
    let h = m.handle();
    let runner = std::thread::spawn(move || m.run());
    assert_eq!(h.state(), RunState::Prelaunch);
    let regs = crate::registers_text(&h.request(Registers, T).unwrap());
    let lines: Vec<&str> = regs.lines().collect();
    assert_eq!(lines[0], "CPU#0");
    assert_eq!(lines[1], " pc       0000000000001000");
    assert_eq!(lines[2], " mhartid  0000000000000000");
    assert!(lines[19].starts_with(" x0/zero  0000000000000000 x1/ra    "), "{}", lines[19]);
    assert_eq!(lines.len(), 1 + 18 + 8 + 1 + 8);
    let code = MemRead { bytes: vec![0x93, 0x82, 0x12, 0x00], fault: None };
    let r = h.request(ReadMem { addr: 0x8000_0000, len: 4, phys: true }, T).unwrap();
    assert_eq!(r, Ok(code.clone()));
    let r = h.request(ReadMem { addr: 0x8000_0000, len: 4, phys: false }, T).unwrap();
    assert_eq!(r, Ok(code), "bare mode: virtual = physical");
    let r = h.request(ReadMem { addr: 0x20, len: 8, phys: true }, T).unwrap().unwrap();
    let e = r.fault.unwrap();
    assert!(r.bytes.is_empty() && e.contains("Cannot access memory"), "{e}");
    let r = h.request(ReadMem { addr: 0x8000_0000, len: 2 << 30, phys: true }, T).unwrap();
    assert_eq!(r, Err("cannot read more than 1073741824 bytes at once".into()));
    let roms = h.request(Roms, T).unwrap();
    // QEMU 7.2 lists the same two ROM blobs for virt.
    assert!(
        roms.starts_with(
            "addr=0000000000001000 size=0x000028 mem=rom name=\"mrom.reset\"\n\
             addr=0000000000001028 size=0x000030 mem=rom name=\"mrom.finfo\"\n"
        ),
        "{roms}"
    );
    // stop in prelaunch: paused without an event; reset of a stopped machine: prelaunch.
    h.request(Stop, T).unwrap();
    assert_eq!(h.state(), RunState::Paused);
    h.request(Reset, T).unwrap();
    assert_eq!(h.state(), RunState::Prelaunch);
    h.request_exit();
    assert_eq!(runner.join().unwrap(), RunExit::ExitRequested);
}

#[test]
fn debug_translation_has_no_side_effects() {
    let mut m = counting_machine();
    let root = 0x8010_0000u64;
    // Sv39 gigapage: VA 0x4000_0000 -> PA 0x8000_0000, V|R|W|X, A and D clear.
    let pte = ((0x8000_0000u64 >> 12) << 10) | 0xf;
    m.cpu().ram_write(root + 8, 8, pte).unwrap();
    m.cpu().hart.csr.satp = (8 << 60) | (root >> 12);
    m.cpu().hart.prv = cpu_riscv::Priv::S;
    // Below M, PMP must allow the page-table reads, as for the hart: one NAPOT entry, all memory, RWX.
    m.cpu().hart.csr.pmpaddr[0] = (1 << 54) - 1;
    m.cpu().hart.csr.pmpcfg[0] = 0x1f;
    assert_eq!(m.cpu().debug_translate(0x4000_0123), Some(0x8000_0123));
    assert_eq!(m.cpu().ram().read(root + 8, 8), Some(pte), "no A/D update");
    assert_eq!(m.cpu().debug_translate(0x123), None, "invalid PTE");
    assert_eq!(m.cpu().debug_translate(0x0000_0080_0000_0000), None, "not canonical for Sv39");
    m.cpu().hart.prv = cpu_riscv::Priv::M;
    assert_eq!(m.cpu().debug_translate(0x123), Some(0x123), "M mode: physical");
    // M mode with MPRV: loads, and so debug reads, translate as MPP (Privileged spec 3.1.6.3).
    m.cpu().hart.csr.mstatus = cpu_riscv::csr::MSTATUS_MPRV | (1 << cpu_riscv::csr::MSTATUS_MPP_SHIFT);
    assert_eq!(m.cpu().debug_translate(0x4000_0123), Some(0x8000_0123), "MPRV with MPP = S");
    m.cpu().hart.csr.mstatus = cpu_riscv::csr::MSTATUS_MPRV | (3 << cpu_riscv::csr::MSTATUS_MPP_SHIFT);
    assert_eq!(m.cpu().debug_translate(0x4000_0123), Some(0x4000_0123), "MPRV with MPP = M");
    m.cpu().hart.csr.mstatus = 0;
    // A gigapage leaf with reserved bits 63:54 set: the hart faults on it, so
    // the monitor finds nothing there (its former walker did not check them).
    m.cpu().ram_write(root + 16, 8, pte | (1 << 54)).unwrap();
    // Through a request, as HMP's gva2gpa prints it.
    m.cpu().hart.prv = cpu_riscv::Priv::S;
    m.start_paused();
    let h = m.handle();
    let runner = std::thread::spawn(move || m.run());
    let t = |addr| h.request(Translate { addr }, T).unwrap();
    assert_eq!(t(0x4000_0010), "gpa: 0x80000010\n");
    assert_eq!(t(0x10), "Unmapped\n");
    let r = h.request(ReadMem { addr: 0x4000_0000, len: 4, phys: false }, T).unwrap();
    assert_eq!(r, Ok(MemRead { bytes: vec![0x93, 0x82, 0x12, 0x00], fault: None }), "virtual read through the mapping");
    assert_eq!(t(0x8000_0010), "Unmapped\n", "reserved PTE bits");
    let r = h.request(ReadMem { addr: 0x8000_0000, len: 4, phys: false }, T).unwrap();
    assert_eq!(r, Ok(MemRead { bytes: vec![], fault: Some("0x80000000: Cannot access memory".into()) }));
    h.request_exit();
    runner.join().unwrap();
}

#[test]
fn timeout_then_served_late_and_gone() {
    let mut m = counting_machine();
    m.start_paused();
    let h = m.handle();
    // Nothing serves the machine yet: the requester gives up.
    assert_eq!(h.request(Stop, Duration::from_millis(30)), Err(RequestError::Timeout));
    assert_eq!(h.state(), RunState::Prelaunch, "not served");
    let runner = std::thread::spawn(move || m.run());
    // The late request is served (its answer dropped) before the next one.
    assert_eq!(h.request(Cont, T), Ok(Ok(())));
    assert_eq!(h.state(), RunState::Running, "stop, then cont");
    assert_eq!(h.request(Quit, T), Ok(()));
    assert_eq!(runner.join().unwrap(), RunExit::ExitRequested);
    assert_eq!(h.request(Registers, T).map(|_| ()), Err(RequestError::Gone));
}

#[test]
fn gone_when_the_machine_is_dropped() {
    let m = counting_machine();
    let h = m.handle();
    drop(m);
    assert_eq!(h.request(Roms, T), Err(RequestError::Gone));
    assert_eq!(h.request(Cont, T), Err(RequestError::Gone));
}

#[test]
fn shutdown_refuses_cont() {
    // A guest power-off under -no-shutdown: the finisher's pass, then `j .`.
    let mut m = machine_with(&[0x0010_02b7, 0x0000_5337, 0x5553_0313, 0x0062_a023, 0x0000_006f]);
    m.set_no_shutdown(true);
    let events = m.subscribe();
    let h = m.handle();
    let runner = std::thread::spawn(move || m.run());
    let first = events.recv_timeout(T).unwrap();
    assert_eq!(first.kind, EventKind::Shutdown { guest: true, reason: "guest-shutdown" });
    assert_eq!(events.recv_timeout(T).unwrap().kind, EventKind::Stop);
    assert_eq!(h.state(), RunState::Shutdown);
    assert_eq!(h.request(Cont, T), Ok(Err("Resetting the Virtual Machine is required".into())));
    h.request_exit();
    assert_eq!(runner.join().unwrap(), RunExit::ExitRequested);
}

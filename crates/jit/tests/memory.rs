//! The guest-memory contract seen from outside: after generated code has run
//! and the TLB holds host pointers into RAM, what the monitor reads (as
//! `memsave`/`pmemsave` do) is what the hart wrote, and bytes copied in
//! through the `Cpu` are what the hart (and its generated code) sees next.
//! RAM itself cannot be swapped: `Cpu` hands out only `&Ram` (see the
//! `compile_fail` examples on `Cpu::ram`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use cpu_riscv::Stop;
use jit::Jit;
use machine::requests::{self, MemRead, Quit, ReadMem, Registers};
use machine::{BoardKind, Config, Firmware, Machine, RunExit, Serial};

const T: Duration = Duration::from_secs(5);
const RAM: u64 = 0x8000_0000;
const DATA: u64 = RAM + 0x1000;
/// `addi t0, t0, 1`, at `RAM + 8`.
const INC: u32 = 0x0012_8293;

/// A counter in memory: `t1 = DATA; loop: ld t0, 0(t1); addi t0, t0, 1;
/// sd t0, 0(t1); j loop`.
fn counter() -> Machine {
    let code: Vec<u8> =
        [0x0000_1317u32, 0x0003_3283, INC, 0x0053_3023, 0xff5f_f06f].iter().flat_map(|w| w.to_le_bytes()).collect();
    let cfg = Config {
        board: BoardKind::Virt,
        ram_size: 16 << 20,
        bios: Firmware::None,
        kernel: None,
        kernel_bytes: Some(code),
        serial: Serial::None,
        max_insns: None,
    };
    let mut m = Machine::new(cfg).expect("machine");
    let mut jit = Jit::new().expect("jit");
    jit.set_hot_threshold(0);
    m.cpu().set_engine(Some(Box::new(jit)));
    m
}

#[test]
fn monitor_reads_and_copy_in_writes_agree_with_generated_code() {
    let mut m = counter();
    let h = m.handle();
    let runner = std::thread::spawn(move || {
        let exit = m.run();
        (m, exit)
    });
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(h.request(requests::Stop, T), Ok(()));
    let count = h.request(Registers, T).unwrap().x[5];
    assert!(count > 1000, "the loop ran ({count} times)");
    // pmemsave and memsave (bare mode: virtual = physical) see the hart's last store.
    for phys in [true, false] {
        let r = h.request(ReadMem { addr: DATA, len: 8, phys }, T).unwrap();
        assert_eq!(r, Ok(MemRead { bytes: count.to_le_bytes().to_vec(), fault: None }), "phys {phys}");
    }
    assert_eq!(h.request(Quit, T), Ok(()));
    let (mut m, exit) = runner.join().unwrap();
    assert_eq!(exit, RunExit::ExitRequested);
    let cpu = m.cpu();
    let stats: std::collections::HashMap<_, _> = cpu.engine_stats().into_iter().collect();
    assert!(stats["translated"] > 0, "generated code ran: {stats:?}");
    assert_eq!(cpu.ram().read(DATA, 8), Some(count));
    cpu.exit_request.store(false, Ordering::Release);

    // Bytes copied in now are what generated code loads next: same RAM,
    // whatever the TLB kept (its entries are not flushed here). From the
    // loop's head: the stop may have come between its load and its store
    // (a block boundary where a slice's budget ended), and the store would
    // then write the old count over the new value.
    while cpu.hart.pc != RAM + 4 {
        assert_eq!(cpu.run(1), Stop::Budget);
    }
    cpu.ram_write(DATA, 8, 1 << 40).unwrap();
    assert_eq!(cpu.run(1000), Stop::Budget);
    let v = cpu.ram().read(DATA, 8).unwrap();
    assert!(v > 1 << 40 && v < (1 << 40) + 1000, "counting on from the value written: {v:#x}");
    assert_eq!(cpu.hart.x[5], v, "the register holds what was stored");

    // Code copied in replaces the translated block: `addi t0, zero, 7`.
    cpu.ram_write(RAM + 8, 4, 0x0070_0293).unwrap();
    assert_eq!(cpu.run(1000), Stop::Budget);
    assert_eq!((cpu.hart.x[5], cpu.ram().read(DATA, 8)), (7, Some(7)), "the new instruction ran");

    // Copy-in and copy-out outside RAM are refused, and change nothing.
    let end = RAM + (16 << 20);
    let mut buf = [0xaa; 16];
    assert_eq!(cpu.ram().read_bytes(end - 8, &mut buf), None);
    assert_eq!(buf, [0xaa; 16], "nothing copied out");
    assert_eq!(cpu.ram_write_bytes(end - 8, &[1; 16]), None);
    assert_eq!(cpu.ram_write(end - 4, 8, u64::MAX), None);
    assert_eq!(cpu.ram_fill(u64::MAX - 1, 4, 1), None);
    assert_eq!(cpu.ram().read(end - 8, 8), Some(0), "nothing copied in");
    assert_eq!(cpu.run(1000), Stop::Budget);
    assert_eq!(cpu.ram().read(DATA, 8), Some(7), "and the guest runs on");
}

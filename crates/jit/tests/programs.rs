//! Differential test on random short programs (`jit::testprog`: integer and
//! M operations, double arithmetic in chains, loads and stores, loops, CSR
//! accesses, self-modifying code, traps, helpers in the middle of blocks,
//! branches done as selects). Interpreter and JIT run the same
//! program with the same budgets in slices; the states must agree after
//! every slice.
//!
//! `TERN_JIT_PROG_CASES=N` sets the number of programs.

use cpu_riscv::Stop;
use jit::testprog::{b_type, cpu, i_type, j_type, run_case, s_type, Bytes, Rng, CODE, TRAP_VEC};
use jit::Jit;

#[test]
fn random_programs_match_the_interpreter() {
    let cases = std::env::var("TERN_JIT_PROG_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 2000 } else { 20_000 });
    let mut r = Rng(0x005e_ed0f_c0de | 1);
    let (mut total_translated, mut total_chained, mut total_cross, mut total_selects) = (0, 0, 0, 0);
    let (mut total_round, mut total_threaded, mut total_own, mut total_hoisting) = (0, 0, 0, 0);
    for case in 0..cases {
        let s = run_case(&mut r).unwrap_or_else(|e| panic!("case {case}: {e}"));
        total_translated += s.translated;
        total_chained += s.chained;
        total_cross += s.cross_page;
        total_selects += s.selects;
        total_round += s.round_loops;
        total_threaded += s.threaded;
        total_own += s.loop_pinned;
        total_hoisting += s.hoisting_loops;
    }
    assert!(total_hoisting >= cases / 20, "only {total_hoisting} loops checked bases at their entry");
    assert!(total_selects >= cases / 10, "only {total_selects} branches done as selects");
    assert!(total_round >= cases / 20, "only {total_round} loops left W results unextended");
    assert!(total_threaded >= cases / 20, "only {total_threaded} side exits through short blocks");
    assert!(total_own >= cases / 20, "only {total_own} loops with a pinning of their own");
    assert!(total_cross >= cases / 20, "only {total_cross} blocks crossed a page");
    assert!(total_translated >= cases, "the JIT translated only {total_translated} blocks");
    assert!(total_chained >= cases / 4, "only {total_chained} chained jumps");
}

/// The fuzz target's input can run dry (then every choice is 0): a case
/// still ends, for empty input and a few bytes alike (a pinning of nine
/// distinct registers once looped forever on zeros).
#[test]
fn a_case_from_dry_entropy_ends() {
    for input in [&[][..], &[1, 2, 3], &[0xff; 20]] {
        run_case(&mut Bytes(input)).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    }
}

/// A guest spinning in a chained loop (`j .` jumps to itself) still answers
/// the exit flag, raised from another thread, and takes an interrupt that
/// a device raises from another thread: a rising line raises the exit flag
/// (as the machine wires it), which block entries poll.
#[test]
fn hot_loop_answers_exit_requests_and_interrupts() {
    hot_loop_answers(&[j_type(0, 0)], |_| {});
}

/// The same for a loop that is one translation region with a branch in
/// its middle (`addi; beq` not taken`; addi; j` back to the start). t0, in
/// the `Hart` under the default pinning, is in a host register of the
/// loop's own while it runs (`loop_pinning`): wherever a run stops, t0
/// and a0 hold their exact counts.
#[test]
fn hot_region_loop_answers_exit_requests_and_interrupts() {
    let c = hot_loop_answers(
        &[
            i_type(1, 5, 0, 5, 0x13),   // addi t0,t0,1
            b_type(8, 0, 5, 0),         // beq t0,zero,+8 (t0 > 0: not taken)
            i_type(1, 10, 0, 10, 0x13), // addi a0,a0,1
            j_type(-12, 0),             // j start
        ],
        |c| {
            let (rounds, at) = (c.hart.instret / 4, c.hart.instret % 4);
            assert_eq!(c.hart.x[5], rounds + u64::from(at >= 1), "t0 at instret {}", c.hart.instret);
            assert_eq!(c.hart.x[10], A0_START + rounds + u64::from(at >= 3), "a0 at instret {}", c.hart.instret);
        },
    );
    assert!(stat(&c, "loop_pinned") > 0, "the loop had a pinning of its own");
}

/// The same for a loop whose W results stay unextended round it
/// (`translate::sext`): a0 counts up through 0x7fff_ffff, and wherever the
/// run stops (budget spent, exit request, the interrupt's line) it holds
/// its exact, sign-extended value.
#[test]
fn hot_loop_with_w_results_round_it_answers_exit_requests_and_interrupts() {
    let c = hot_loop_answers(
        &[
            0x0062_82bb,                // addw t0,t0,t1
            i_type(1, 10, 0, 10, 0x1b), // addiw a0,a0,1
            j_type(-8, 0),              // j start
        ],
        |c| {
            // a0 starts at A0_START and counts the addiw done: (instret + 1) / 3.
            let done = ((c.hart.instret + 1) / 3) as i32;
            let start = A0_START as i32;
            assert_eq!(c.hart.x[10], start.wrapping_add(done) as i64 as u64, "instret {}", c.hart.instret);
        },
    );
    assert!(stat(&c, "round_loops") > 0, "the loop left nothing unextended");
}

/// The JIT's counter `name`.
fn stat(c: &cpu_riscv::Cpu, name: &str) -> u64 {
    c.engine_stats().iter().find(|s| s.0 == name).map_or(0, |s| s.1)
}

/// a0 when `hot_loop_answers` starts a program: below 0x7fff_ffff, which a
/// loop counting it up soon passes.
const A0_START: u64 = 0x7fff_0000;

/// Runs `program` as the tests above say, calling `check` wherever a run
/// stops in the loop; returns the machine.
fn hot_loop_answers(program: &[u32], check: impl Fn(&cpu_riscv::Cpu)) -> cpu_riscv::Cpu {
    let mut c = cpu(program, &[j_type(0, 0)]);
    c.hart.x[10] = A0_START;
    let mut jit = Jit::with_code_size(1 << 20).expect("code buffer");
    jit.set_hot_threshold(0);
    c.set_engine(Some(Box::new(jit)));
    c.hart.csr.mtvec = TRAP_VEC;
    c.irq.kick_on_raise(c.exit_request.clone());
    // Warm up: translate the loop and chain it to itself.
    assert_eq!(c.run(10_000), Stop::Budget);
    assert_eq!(c.hart.pc, CODE + 4 * (10_000 % program.len() as u64));
    assert_eq!(c.hart.instret, 10_000, "budget counted exactly through chained blocks");
    // A loop going round by itself past its entry (`jump::Round`).
    let round = stat(&c, "self_loops") > 0;
    assert!(stat(&c, "chained") > 0 || round, "the loop neither chained nor went round by itself");
    check(&c);

    // A budget many times what generated code holds in `rbp` at once: it
    // takes more in generated code (no return to Rust each time) and counts
    // it exactly.
    let before = stat(&c, "entered");
    assert_eq!(c.run(1_000_003), Stop::Budget);
    assert_eq!(c.hart.instret, 1_010_003);
    assert_eq!(c.hart.pc, CODE + 4 * (1_010_003 % program.len() as u64));
    check(&c);
    let entered = stat(&c, "entered") - before;
    assert!(entered <= 8, "left generated code {entered} times");

    let flag = c.exit_request.clone();
    let raiser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        flag.store(true, std::sync::atomic::Ordering::Release);
    });
    assert_eq!(c.run(u64::MAX), Stop::ExitRequest);
    raiser.join().expect("thread");
    check(&c);
    c.exit_request.store(false, std::sync::atomic::Ordering::Release);

    // Machine timer interrupt enabled (mie.MTIE, mstatus.MIE), raised by a "device".
    c.hart.csr.mie = 1 << 7;
    c.hart.csr.mstatus |= 1 << 3;
    let irq = c.irq.clone();
    let raiser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        irq.set(7, true);
    });
    // The run with no budget limit ends when the line rises; the next one
    // takes the interrupt before its first block (the handler is a loop too).
    assert_eq!(c.run(u64::MAX), Stop::ExitRequest);
    let end = CODE + 4 * program.len() as u64;
    assert!((CODE..end).contains(&c.hart.pc), "still in the loop when the line rose");
    check(&c);
    let at = c.hart.pc;
    c.exit_request.store(false, std::sync::atomic::Ordering::Release);
    assert_eq!(c.run(1000), Stop::Budget);
    assert_eq!(c.hart.pc, TRAP_VEC);
    raiser.join().expect("thread");
    assert_eq!(c.hart.csr.mcause, 1 << 63 | 7);
    assert_eq!(c.hart.csr.mepc, at, "taken where the loop stopped");
    c
}

/// A device on the bus whose every write raises the machine software
/// interrupt line (MSIP), as a CLINT's `msip` does.
struct Doorbell(cpu_riscv::IrqLines);

impl cpu_riscv::Bus for Doorbell {
    fn read(&mut self, _: u64, _: u8) -> Result<u64, cpu_riscv::BusError> {
        Ok(0)
    }
    fn write(&mut self, _: u64, _: u8, _: u64) -> Result<(), cpu_riscv::BusError> {
        self.0.set(3, true);
        Ok(())
    }
    fn overlaps(&self, addr: u64, len: u64) -> bool {
        addr < DOORBELL + 8 && DOORBELL < addr.saturating_add(len)
    }
}

const DOORBELL: u64 = 0x1000_0000;

/// An interrupt that a store to a device raises is taken right after the
/// store: the helper that did it ends the block and returns to Rust, which
/// sees the exit flag the rising line raised, instead of the rest of the
/// block and the loop's next rounds running first.
#[test]
fn an_interrupt_a_store_raises_is_taken_after_it() {
    let program = [
        0x1000_02b7,                // lui t0, 0x10000 (the doorbell)
        i_type(1, 10, 0, 10, 0x13), // addi a0, a0, 1
        s_type(0, 0, 5, 2),         // sw zero, 0(t0)
        i_type(1, 11, 0, 11, 0x13), // addi a1, a1, 1
        j_type(-12, 0),             // j back to the addi a0
    ];
    let mut c = cpu(&program, &[j_type(0, 0)]);
    let mut jit = Jit::with_code_size(1 << 20).expect("code buffer");
    jit.set_hot_threshold(0);
    c.set_engine(Some(Box::new(jit)));
    c.bus = Box::new(Doorbell(c.irq.clone()));
    c.irq.kick_on_raise(c.exit_request.clone());
    c.hart.csr.mtvec = TRAP_VEC;
    c.hart.csr.mie = 1 << 3;
    c.hart.csr.mstatus |= 1 << 3;
    assert_eq!(c.run(100_000), Stop::ExitRequest);
    c.exit_request.store(false, std::sync::atomic::Ordering::Release);
    assert_eq!(c.run(10), Stop::Budget);
    assert_eq!(c.hart.csr.mcause, 1 << 63 | 3);
    assert_eq!(c.hart.csr.mepc, CODE + 12, "taken after the store");
    assert_eq!((c.hart.x[10], c.hart.x[11]), (1, 0), "one round, stopped after the store");
    assert_eq!(c.hart.pc, TRAP_VEC);
}

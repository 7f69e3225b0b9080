//! Guarded stores (`jit::guard`, `Cpu::set_store_guard`): under the
//! direct-read window generated code stores with no check for translated
//! code, pages holding code being read-only in RAM's guarded mapping. A
//! store to code faults and goes to its slow path, which drops the code it
//! overwrites; stores that keep faulting on data next to code turn the
//! guard off. The interpreter runs alongside as the oracle.

use cpu_riscv::Stop;
use jit::testprog::{self, run_both, stat};

const CODE: u64 = testprog::RAM_BASE + 0x1000;

/// A loop that rewrites the instruction of the function it calls (its
/// immediate one more each round) sees every new instruction: the store
/// faults into its slow path, which drops the old translation.
#[test]
fn a_store_to_translated_code_faults_to_its_slow_path_and_drops_it() {
    let code = [
        0x0640_0293, // 0x00 addi t0,zero,100
        0x04c4_a023, // 0x04 L: sw a2,0x40(s1)   rewrite `slot`
        0x0000_100f, // 0x08 fence.i
        0x0340_00ef, // 0x0c jal ra,slot
        0x00d6_0633, // 0x10 add a2,a2,a3        next immediate
        0xfff2_8293, // 0x14 addi t0,t0,-1
        0xfe02_96e3, // 0x18 bne t0,zero,L
        testprog::WFI,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0x0015_0513, // 0x40 slot: addi a0,a0,1 (rewritten)
        0x0000_8067, // 0x44 ret
    ];
    let mut cs = testprog::pair(0x10000, &code, CODE, |h| {
        h.x[9] = CODE;
        h.x[12] = 0x0015_0513; // addi a0,a0,1
        h.x[13] = 1 << 20; // one more in the immediate
    });
    assert_eq!(run_both(&mut cs, 10_000), Stop::Wfi);
    assert_eq!(cs[1].hart.x[10], (1..=100).sum::<u64>(), "a0: every version of `slot` ran");
    assert_eq!(stat(&cs[1], "store_guard"), 1);
    // The first store finds `slot` not yet translated, but its page holds
    // the loop's own code: every round's store faults.
    assert!(stat(&cs[1], "guard_faults") >= 100, "{}", stat(&cs[1], "guard_faults"));
    assert!(stat(&cs[1], "invalidated") >= 99);
}

/// A hot loop storing to data on its own code's page faults every time;
/// the JIT gives the guard up (stores check the TLB again) rather than
/// take a signal per store, and the results are the interpreter's.
#[test]
fn stores_to_data_beside_hot_code_turn_the_guard_off() {
    let code = [
        0x0000_22b7, // 0x00 lui t0,2            8192 rounds
        0x4054_a023, // 0x04 L: sw t0,0x400(s1)  same page as the code
        0x4004_b503, // 0x08 ld a0,0x400(s1)
        0x00a5_85b3, // 0x0c add a1,a1,a0
        0xfff2_8293, // 0x10 addi t0,t0,-1
        0xfe02_98e3, // 0x14 bne t0,zero,L
        testprog::WFI,
    ];
    let mut cs = testprog::pair(0x10000, &code, CODE, |h| h.x[9] = CODE);
    assert_eq!(run_both(&mut cs, 100_000), Stop::Wfi);
    assert_eq!(cs[1].hart.x[11], (1..=8192).sum::<u64>(), "a1");
    assert_eq!(stat(&cs[1], "store_guard"), 0, "given up");
    let faults = stat(&cs[1], "guard_faults");
    assert!((1000..4000).contains(&faults), "{faults} faults");
    assert!(stat(&cs[1], "invalidated") > 0, "the guarded blocks were dropped");
}

/// Stores elsewhere never fault, and the guard stays on.
#[test]
fn stores_to_data_pages_do_not_fault() {
    let code = [
        0x0000_22b7, // 0x00 lui t0,2
        0x0054_a023, // 0x04 L: sw t0,0(s1)     a data page
        0x0004_b503, // 0x08 ld a0,0(s1)
        0x00a5_85b3, // 0x0c add a1,a1,a0
        0xfff2_8293, // 0x10 addi t0,t0,-1
        0xfe02_98e3, // 0x14 bne t0,zero,L
        testprog::WFI,
    ];
    let mut cs = testprog::pair(0x10000, &code, CODE, |h| h.x[9] = CODE + 0x3000);
    assert_eq!(run_both(&mut cs, 100_000), Stop::Wfi);
    assert_eq!(cs[1].hart.x[11], (1..=8192).sum::<u64>(), "a1");
    assert_eq!(stat(&cs[1], "store_guard"), 1);
    assert_eq!(stat(&cs[1], "guard_faults"), 0);
}

/// The handler passes faults that are not guarded stores on to the one
/// installed before it: Rust's report of a thread overflowing its stack
/// still comes out once the guard is on. The test runs itself again as a
/// child process that overflows a thread's stack.
#[test]
fn other_faults_reach_the_previous_handler() {
    if std::env::var_os("TERN_TEST_OVERFLOW").is_some() {
        // The child: turn the guard on, then overflow.
        let mut cs = testprog::pair(0x10000, &[testprog::WFI], CODE, |_| {});
        assert_eq!(run_both(&mut cs, 10), Stop::Wfi);
        assert_eq!(stat(&cs[1], "store_guard"), 1);
        fn deep(n: u64) -> u64 {
            let pad = std::hint::black_box([n; 64]);
            if pad[1] == u64::MAX {
                return 0;
            }
            pad[0] + deep(n + 1)
        }
        let _ = std::thread::spawn(|| deep(0)).join();
        unreachable!("the stack overflow ends the process");
    }
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", "other_faults_reach_the_previous_handler", "--nocapture", "--test-threads=1"])
        .env("TERN_TEST_OVERFLOW", "1")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("has overflowed its stack"), "{err}");
}

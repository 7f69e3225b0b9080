//! The JIT against the interpreter on short programs the fuzzer's bytes
//! choose (`jit::testprog`: loops, loads and stores anywhere in a small RAM,
//! traps, CSR accesses, self-modifying code), run in slices with the same
//! budgets; stop reasons, harts and RAM must agree after every slice.
#![no_main]

use jit::testprog::{run_case, Bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = run_case(&mut Bytes(data)) {
        panic!("the JIT and the interpreter differ: {e}");
    }
});

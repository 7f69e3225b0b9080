//! Guarded stores: under the direct-read window generated code stores into
//! RAM's guarded mapping with no check for translated code there, because
//! every page holding code is read-only in that mapping
//! (`Cpu::set_store_guard`). A store to such a page faults; the `SIGSEGV`
//! handler here finds the store among the sites the JIT recorded and
//! resumes at its slow path, where the instruction's handler does the store
//! in Rust and drops the code it overwrites (QEMU's notdirty path, with the
//! host MMU as the check). Faults elsewhere go to the handler that was
//! installed before (Rust's stack-overflow report, or the default).

use std::cell::Cell;
use std::sync::OnceLock;

thread_local! {
    /// The running JIT's guarded stores on this thread: (store address,
    /// slow path address), sorted (`set_sites`).
    static SITES: Cell<(*const (usize, usize), usize)> = const { Cell::new((std::ptr::null(), 0)) };
    /// Faults sent to a slow path on this thread.
    static FAULTS: Cell<u64> = const { Cell::new(0) };
    /// `FAULTS` at which generated code should return to Rust, which then
    /// gives the guard up (`over_limit`).
    static LIMIT: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// The `SIGSEGV` action before ours.
static PREVIOUS: OnceLock<Previous> = OnceLock::new();

struct Previous(libc::sigaction);

// SAFETY: plain data (a handler address, flags and a mask), written once
// before our handler is installed and only read after.
unsafe impl Sync for Previous {}
// SAFETY: as above.
unsafe impl Send for Previous {}

/// Install the handler (once per process); false if the host refused, and
/// then no store may be guarded.
pub(crate) fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        // SAFETY: `sigaction` with a zeroed (empty-mask) action whose handler
        // is `on_fault`, an `extern "C"` function of the SA_SIGINFO shape;
        // the old action is read into `old`, a valid out pointer.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGSEGV, std::ptr::null(), &mut old) != 0 {
                return false;
            }
            let _ = PREVIOUS.set(Previous(old));
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_fault as *const () as usize;
            new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut new.sa_mask);
            libc::sigaction(libc::SIGSEGV, &new, std::ptr::null_mut()) == 0
        }
    })
}

/// Point this thread's handler at `sites` (sorted by store address), which
/// must stay alive and unchanged until `clear_sites`, while generated code
/// runs; `over_limit` from `limit` faults on.
pub(crate) fn set_sites(sites: &[(usize, usize)], limit: u64) {
    SITES.with(|s| s.set((sites.as_ptr(), sites.len())));
    LIMIT.with(|l| l.set(limit));
}

/// Forget the sites (generated code returned): a fault now is not ours.
pub(crate) fn clear_sites() {
    SITES.with(|s| s.set((std::ptr::null(), 0)));
    LIMIT.with(|l| l.set(u64::MAX));
}

/// Whether faults reached the limit `set_sites` gave (checked after each
/// helper, so that a loop faulting on every round leaves for Rust).
#[inline(always)]
pub(crate) fn over_limit() -> bool {
    FAULTS.with(Cell::get) >= LIMIT.with(Cell::get)
}

/// Faults sent to a slow path on this thread so far.
pub(crate) fn faults() -> u64 {
    FAULTS.with(Cell::get)
}

/// The slow path of the guarded store at `rip`, if it is one.
fn slow_path_of(rip: usize) -> Option<usize> {
    let (p, n) = SITES.with(Cell::get);
    if p.is_null() {
        return None;
    }
    // SAFETY: `set_sites` was given a live slice of `n` sites, which the
    // JIT keeps unchanged until it calls `clear_sites` when its code returns.
    let sites = unsafe { std::slice::from_raw_parts(p, n) };
    let i = sites.binary_search_by_key(&rip, |&(at, _)| at).ok()?;
    Some(sites[i].1)
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let uc = ctx.cast::<libc::ucontext_t>();
    // SAFETY: the kernel passes a valid `ucontext_t` to an SA_SIGINFO handler.
    let rip = unsafe { (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] } as usize;
    if let Some(to) = slow_path_of(rip) {
        // The store has done nothing: its slow path redoes it (the
        // registers are as the fast path left them, all it relies on).
        // SAFETY: as above; the kernel resumes the thread at `to`.
        unsafe { (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] = to as i64 };
        FAULTS.with(|f| f.set(f.get() + 1));
        return;
    }
    // Not a guarded store: as if we were not here.
    let prev = PREVIOUS.get().map(|p| p.0);
    match prev {
        Some(p) if p.sa_sigaction != libc::SIG_DFL && p.sa_sigaction != libc::SIG_IGN => {
            // SAFETY: the previous handler was installed with this shape
            // (SA_SIGINFO says which), and gets the signal's own arguments.
            unsafe {
                if p.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(p.sa_sigaction);
                    f(sig, info, ctx);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(p.sa_sigaction);
                    f(sig);
                }
            }
        }
        _ => {
            // SAFETY: resetting the default action; returning re-runs the
            // faulting instruction, which then ends the process as it would have.
            unsafe { libc::signal(libc::SIGSEGV, libc::SIG_DFL) };
        }
    }
}

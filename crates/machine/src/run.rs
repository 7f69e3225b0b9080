//! The run loop: guest slices between device polls, requests served at
//! block boundaries or while stopped, idling in `wfi`, and how a run ends.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use cpu_riscv::{HostPanic, Stop};

use crate::alarm::Alarm;
use crate::control::{Envelope, EventKind, RunState};
use crate::devices::GuestRequest;
use crate::Machine;

/// How `Machine::run` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunExit {
    /// The guest asked to end (test finisher, HTIF) with this exit code.
    Guest { code: u32 },
    /// `max_insns` instructions executed (retired or trapped).
    InsnLimit,
    /// Another thread raised the exit-request flag.
    ExitRequested,
}

/// Instructions per slice of guest execution between device polls (the
/// timer's and the UART's) in the interpreter: about 100 us.
const SLICE_INTERP: u64 = 64 * 1024;
/// Under an engine, a slice ends when the alarm rings (`Machine::next_poll`),
/// or after this many instructions if it is late. Leaving generated code
/// costs several microseconds each time: at a slice per 256K instructions
/// (about 100 us), CoreMark ran 5% slower.
const SLICE_ENGINE: u64 = 16 << 20;
/// Under an engine without the alarm (the host gave no thread).
const SLICE: u64 = 256 * 1024;
/// The longest time between polls under an engine: console output is
/// flushed and input read this often at least.
const POLL_EVERY: Duration = Duration::from_millis(1);
/// Longest idle sleep while the hart waits for an interrupt.
const MAX_IDLE: Duration = Duration::from_millis(1);

impl Machine {
    /// Run the guest on this thread until it ends, `max_insns` instructions
    /// have executed, or an exit is requested. Console output is flushed on
    /// every way out, a panic too (a bug in Tern, under any engine): it then
    /// goes on as a `cpu_riscv::HostPanic` payload with the guest pc, for
    /// the caller to report.
    pub fn run(&mut self) -> RunExit {
        // Stopped (and joined) when the run ends, however it ends.
        let alarm = if self.cpu.has_engine() { Alarm::start(self.cpu.exit_request.clone()) } else { None };
        // The machine is not run again after a panic: only pc and console are used.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_loop(alarm.as_ref())));
        let r = r.map_err(|p| HostPanic::from_payload(p, self.cpu.hart.pc));
        if r.is_ok() {
            self.cpu.bus.poll();
        }
        self.console.flush();
        r.unwrap_or_else(|p| std::panic::resume_unwind(Box::new(p)))
    }

    fn run_loop(&mut self, alarm: Option<&Alarm>) -> RunExit {
        loop {
            if let Some(r) = self.check_exit() {
                return r;
            }
            if self.ctl.state() != RunState::Running {
                if let Some(r) = self.wait_stopped() {
                    return r;
                }
                continue;
            }
            let slice = match alarm {
                Some(a) => {
                    a.set(self.next_poll());
                    SLICE_ENGINE
                }
                None if self.cpu.has_engine() => SLICE,
                None => SLICE_INTERP,
            };
            let budget = match self.max_insns {
                Some(max) if self.executed >= max => return RunExit::InsnLimit,
                Some(max) => slice.min(max - self.executed),
                None => slice,
            };
            let before = self.cpu.executed;
            let stop = self.cpu.run(budget);
            self.executed += self.cpu.executed - before;
            self.cpu.bus.poll();
            if stop == Stop::Wfi {
                self.idle();
            }
        }
    }

    /// When devices next need a poll: when `mtime` reaches `mtimecmp` (not
    /// if it has already: the line is up, and polling again changes
    /// nothing), and `POLL_EVERY` from now at the latest. A guest write to
    /// `mtimecmp` or `mtime` raises the exit flag (`IrqLines::kick`), so
    /// that this is looked at again.
    pub(crate) fn next_poll(&self) -> Instant {
        let ticks = self.mtimecmp.load(Ordering::Relaxed).saturating_sub(self.cpu.clock.mtime());
        let until_timer = match ticks {
            0 => POLL_EVERY,
            t => Duration::from_nanos(t.saturating_mul(1_000_000_000 / cpu_riscv::bus::TIMEBASE_HZ)),
        };
        Instant::now() + until_timer.min(POLL_EVERY)
    }

    /// Act on a raised exit flag: serve the monitor's requests, then a
    /// device's request, then an outside exit request.
    fn check_exit(&mut self) -> Option<RunExit> {
        if !self.cpu.exit_request.load(Ordering::Acquire) {
            return None;
        }
        self.cpu.exit_request.store(false, Ordering::Release);
        while let Ok(env) = self.ctl.rx.try_recv() {
            if let Some(r) = self.serve(env) {
                return Some(r);
            }
        }
        if self.ctl.quit_requested() {
            return Some(self.host_exit());
        }
        match self.exit.take() {
            Some(GuestRequest::Exit(code)) => {
                self.ctl.emit(EventKind::Shutdown { guest: true, reason: "guest-shutdown" });
                if self.no_shutdown {
                    self.ctl.set_state(RunState::Shutdown);
                    self.ctl.emit(EventKind::Stop);
                    None
                } else {
                    Some(RunExit::Guest { code })
                }
            }
            Some(GuestRequest::Reset) => {
                self.reset();
                self.ctl.emit(EventKind::Reset { guest: true, reason: "guest-reset" });
                None
            }
            None => None,
        }
    }

    /// `Handle::request_exit` (a signal): QEMU reports it as a host-signal shutdown.
    fn host_exit(&mut self) -> RunExit {
        self.ctl.emit(EventKind::Shutdown { guest: false, reason: "host-signal" });
        RunExit::ExitRequested
    }

    /// Stopped (prelaunch, paused, shutdown): serve requests until running again.
    fn wait_stopped(&mut self) -> Option<RunExit> {
        self.console.flush();
        while self.ctl.state() != RunState::Running {
            if self.ctl.quit_requested() {
                return Some(self.host_exit());
            }
            // The timeout bounds how late a `request_exit` is seen.
            if let Ok(env) = self.ctl.rx.recv_timeout(Duration::from_millis(20)) {
                if let Some(r) = self.serve(env) {
                    return Some(r);
                }
            }
        }
        None
    }

    /// Serve one request on the execution thread, at an instruction
    /// boundary; `Some` if serving it ends the run (`quit`).
    fn serve(&mut self, env: Envelope) -> Option<RunExit> {
        env(self);
        self.ending.take()
    }

    /// The hart waits for an interrupt (Privileged spec 3.3.3): sleep in
    /// short steps until one is pending and enabled in `mie`, or until an
    /// exit is requested. Devices are polled between steps.
    fn idle(&mut self) {
        loop {
            if self.cpu.exit_request.load(Ordering::Acquire) {
                return;
            }
            let pending = (self.cpu.hart.csr.mip | self.cpu.irq.pending()) & self.cpu.hart.csr.mie;
            if pending != 0 {
                self.cpu.hart.wfi = false;
                return;
            }
            self.console.flush();
            let ticks = self.mtimecmp.load(Ordering::Relaxed).saturating_sub(self.cpu.clock.mtime());
            let until_timer = Duration::from_nanos(ticks.saturating_mul(1_000_000_000 / cpu_riscv::bus::TIMEBASE_HZ));
            std::thread::sleep(until_timer.clamp(Duration::from_micros(50), MAX_IDLE));
            self.cpu.bus.poll();
        }
    }
}

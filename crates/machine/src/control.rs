//! Control of a running machine from another thread (the QMP monitor, the
//! signal handler). Requests travel on a channel and are answered on a reply
//! channel; the sender raises the hart's exit-request flag so the execution
//! thread serves them at the next block boundary. Nothing here takes a lock
//! that the execution thread takes while running the guest.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossbeam_channel::{bounded, Receiver, Sender};

/// QEMU's RunState, as far as Tern has them (qapi/run-state.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RunState {
    /// Built but not started yet (`-S`).
    Prelaunch,
    Running,
    /// Stopped by the monitor.
    Paused,
    /// The guest powered off and `-no-shutdown` keeps Tern alive.
    Shutdown,
}

impl RunState {
    /// The name `query-status` reports.
    pub fn name(self) -> &'static str {
        match self {
            RunState::Prelaunch => "prelaunch",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Shutdown => "shutdown",
        }
    }

    fn from_u8(v: u8) -> RunState {
        match v {
            0 => RunState::Prelaunch,
            1 => RunState::Running,
            2 => RunState::Paused,
            _ => RunState::Shutdown,
        }
    }
}

/// What the monitor may ask of the execution thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Stop,
    Cont,
    /// `system_reset`.
    Reset,
    /// `system_powerdown`: Tern's boards have no power button, so only the event.
    Powerdown,
    /// `quit`: end the run.
    Quit,
    /// The registers in the layout of QEMU's RISC-V `info registers`.
    Registers,
    /// Read guest memory: `phys` for physical addresses, else through the MMU.
    ReadMem {
        addr: u64,
        len: u64,
        phys: bool,
    },
    /// What was loaded where (`x-query-roms`).
    Roms,
    /// Where a guest-virtual address maps, as HMP's `gva2gpa` prints it.
    Translate {
        addr: u64,
    },
    /// The execution engine's statistics (`x-query-jit`).
    JitInfo,
    /// The last traps the hart took (`x-query-traps`).
    Traps,
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Done,
    Text(String),
    /// A copy of the hart, `mip` including the device lines (format with `registers_text`).
    Registers(Box<cpu_riscv::Hart>),
    /// Bytes read, up to the first unreadable address; the error says why it stopped.
    Bytes(Vec<u8>, Option<String>),
    Error(String),
}

/// An answered request also says how many events the machine had emitted by
/// then, so the monitor can send those first (QEMU sends STOP before the
/// `return` of `stop`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub reply: Reply,
    pub events: u64,
}

pub(crate) struct Envelope {
    pub req: Request,
    pub reply: Sender<Answer>,
}

/// When an event happened, as QMP's `timestamp` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    pub seconds: u64,
    pub microseconds: u32,
}

impl Timestamp {
    pub fn now() -> Timestamp {
        let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Timestamp { seconds: d.as_secs(), microseconds: d.subsec_micros() }
    }
}

/// A machine event, for QMP's asynchronous events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Stop,
    Resume,
    Reset { guest: bool, reason: &'static str },
    Shutdown { guest: bool, reason: &'static str },
    Powerdown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub time: Timestamp,
}

/// Shared between the machine and its handles.
pub(crate) struct Shared {
    pub state: AtomicU8,
    /// Raised (before kicking) to end the run from outside: signals.
    pub quit: AtomicBool,
    /// Events emitted so far.
    pub events: AtomicU64,
}

/// A cloneable handle to a machine, usable from any thread.
#[derive(Clone)]
pub struct Handle {
    pub(crate) tx: Sender<Envelope>,
    pub(crate) kick: Arc<AtomicBool>,
    pub(crate) shared: Arc<Shared>,
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The machine has finished running.
    Gone,
    /// No answer in time.
    Timeout,
}

impl Handle {
    /// Send a request and wait for its answer.
    pub fn request(&self, req: Request, timeout: Duration) -> Result<Answer, RequestError> {
        let (tx, rx) = bounded(1);
        self.tx.send(Envelope { req, reply: tx }).map_err(|_| RequestError::Gone)?;
        self.kick.store(true, Ordering::Release);
        rx.recv_timeout(timeout).map_err(|e| match e {
            crossbeam_channel::RecvTimeoutError::Timeout => RequestError::Timeout,
            crossbeam_channel::RecvTimeoutError::Disconnected => RequestError::Gone,
        })
    }

    /// The run state, read without involving the execution thread.
    pub fn state(&self) -> RunState {
        RunState::from_u8(self.shared.state.load(Ordering::Acquire))
    }

    /// Events the machine has emitted so far.
    pub fn events_emitted(&self) -> u64 {
        self.shared.events.load(Ordering::Acquire)
    }

    /// End the run (`RunExit::ExitRequested`) as soon as possible: for signals.
    pub fn request_exit(&self) {
        self.shared.quit.store(true, Ordering::Release);
        self.kick.store(true, Ordering::Release);
    }
}

/// The machine's end of the control channels.
pub(crate) struct Control {
    pub rx: Receiver<Envelope>,
    pub handle: Handle,
    pub events: Option<Sender<Event>>,
}

impl Control {
    pub fn new(kick: Arc<AtomicBool>, state: RunState) -> Control {
        let (tx, rx) = crossbeam_channel::unbounded();
        let shared =
            Arc::new(Shared { state: AtomicU8::new(state as u8), quit: AtomicBool::new(false), events: 0.into() });
        Control { rx, handle: Handle { tx, kick, shared }, events: None }
    }

    pub fn state(&self) -> RunState {
        self.handle.state()
    }

    pub fn set_state(&self, s: RunState) {
        self.handle.shared.state.store(s as u8, Ordering::Release);
    }

    pub fn quit_requested(&self) -> bool {
        self.handle.shared.quit.load(Ordering::Acquire)
    }

    pub fn emit(&self, kind: EventKind) {
        if let Some(tx) = &self.events {
            // Counted only once it is in the channel, so a reply's count covers it.
            if tx.send(Event { kind, time: Timestamp::now() }).is_ok() {
                self.handle.shared.events.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    pub fn answer(&self, env: Envelope, reply: Reply) {
        // The requester may have given up (timeout, client gone): not an error.
        let _ = env.reply.send(Answer { reply, events: self.handle.shared.events.load(Ordering::Acquire) });
    }
}

#[cfg(test)]
mod tests;

//! Control of a running machine from another thread (the QMP monitor, the
//! signal handler). Requests travel on a channel and are answered on a reply
//! channel; the sender raises the hart's exit-request flag so the execution
//! thread serves them at the next block boundary. Nothing here takes a lock
//! that the execution thread takes while running the guest.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::Machine;

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

/// A request the execution thread serves (the types are in `crate::requests`).
/// Each names the type of its answer, so a requester gets exactly that type
/// and never has to handle an answer of the wrong shape. Sealed: a new
/// request is added to `crate::requests`, where it may reach the machine's
/// insides.
pub trait Request: sealed::Sealed + Send + 'static {
    type Reply: Send + 'static;
    /// Serve on the execution thread, at a block boundary or while stopped.
    /// Events emitted here reach the subscriber before the reply is sent.
    fn serve(self, m: &mut Machine) -> Self::Reply;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// A request with its reply channel, its type erased so that one channel
/// carries requests of every type.
pub(crate) type Envelope = Box<dyn FnOnce(&mut Machine) + Send>;

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
    /// Send a request and wait for its answer. Events the machine emitted
    /// while serving it are in the event channel before the answer arrives.
    pub fn request<R: Request>(&self, req: R, timeout: Duration) -> Result<R::Reply, RequestError> {
        let (tx, rx) = bounded(1);
        let env: Envelope = Box::new(move |m: &mut Machine| {
            // The requester may have given up (timeout, client gone): not an error.
            let _ = tx.send(req.serve(m));
        });
        self.tx.send(env).map_err(|_| RequestError::Gone)?;
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
}

#[cfg(test)]
mod tests;

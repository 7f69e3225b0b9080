//! QMP, the QEMU Machine Protocol, for Tern: QEMU's JSON dialect, the
//! command registry, sessions and the monitor's transports.
//!
//! The monitor's threads own the sockets, parse and check every message,
//! and reach the guest only through `machine::control::Handle` (a request
//! channel, a reply channel and the hart's exit-request flag).

// Safe Rust only: unsafe code belongs in the crates that need it (jit, softfloat, cpu-riscv).
#![forbid(unsafe_code)]

pub mod hmp;
pub mod json;
pub mod registry;
pub mod server;
pub mod session;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crossbeam_channel::Receiver;
use machine::control::{Event, EventKind, Handle};
use serde_json::{json, Map, Value};

pub use server::{start, Chardev, Monitor, MonitorSpec};

/// Stack for the monitor's threads: parsing and writing recurse once per
/// nesting level, up to `json::MAX_NESTING`.
pub const STACK_SIZE: usize = 16 << 20;

/// The QEMU version Tern speaks for (major, minor, micro).
pub const QEMU_VERSION: (u32, u32, u32) = (7, 2, 0);

/// The `package` string of the greeting and `query-version`.
pub fn package() -> String {
    format!("tern {}", env!("CARGO_PKG_VERSION"))
}

/// The greeting a QMP client receives on connecting.
pub fn greeting() -> Value {
    json!({"QMP": {"version": registry::version(), "capabilities": ["oob"]}})
}

/// Facts about the machine that the monitor answers alone.
#[derive(Debug, Clone, Default)]
pub struct Info {
    pub name: Option<String>,
    pub ram_size: u64,
    /// The execution thread's id (`query-cpus-fast`).
    pub thread_id: u64,
    /// Ids of the socket chardevs, which QEMU lists in `query-yank`.
    pub yank: Vec<String>,
}

/// What a command handler gets.
#[derive(Clone)]
pub struct Ctx {
    pub handle: Handle,
    pub hub: Arc<Hub>,
    pub info: Arc<Info>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An OS error without Rust's " (os error N)" suffix, as QEMU prints strerror.
pub fn os_error(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// "\n" to "\r\n", as QEMU's monitor output does.
pub fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

/// A connected client's output side.
pub struct Client {
    out: Mutex<Box<dyn std::io::Write + Send>>,
    pub pretty: bool,
    /// Negotiated: it receives events.
    pub negotiated: AtomicBool,
    /// It enabled the `oob` capability.
    pub oob: AtomicBool,
    dead: AtomicBool,
}

impl Client {
    pub fn new(out: Box<dyn std::io::Write + Send>, pretty: bool) -> Client {
        Client {
            out: Mutex::new(out),
            pretty,
            negotiated: AtomicBool::new(false),
            oob: AtomicBool::new(false),
            dead: AtomicBool::new(false),
        }
    }

    /// Send one message; a client that cannot take it is dropped.
    pub fn send(&self, v: &Value) {
        self.send_raw(json::to_wire(v, self.pretty).as_bytes());
    }

    pub fn send_raw(&self, bytes: &[u8]) {
        if self.dead.load(Ordering::Acquire) {
            return;
        }
        let mut out = lock(&self.out);
        if out.write_all(bytes).and_then(|_| out.flush()).is_err() {
            self.dead.store(true, Ordering::Release);
        }
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    pub fn kill(&self) {
        self.dead.store(true, Ordering::Release);
    }
}

/// The monitor's shared state: its clients and the machine's events.
pub struct Hub {
    clients: Mutex<Vec<Arc<Client>>>,
    events: Mutex<Receiver<Event>>,
    /// Commands being executed, so that `finish` can let their replies out.
    pub inflight: AtomicUsize,
}

/// A machine event as QMP sends it.
pub fn event_json(e: &Event) -> Value {
    let (name, data) = match &e.kind {
        EventKind::Stop => ("STOP", None),
        EventKind::Resume => ("RESUME", None),
        EventKind::Powerdown => ("POWERDOWN", None),
        EventKind::Reset { guest, reason } => ("RESET", Some(json!({"guest": guest, "reason": reason}))),
        EventKind::Shutdown { guest, reason } => ("SHUTDOWN", Some(json!({"guest": guest, "reason": reason}))),
    };
    let mut m = Map::new();
    m.insert("timestamp".into(), json!({"seconds": e.time.seconds, "microseconds": e.time.microseconds}));
    m.insert("event".into(), json!(name));
    if let Some(d) = data {
        m.insert("data".into(), d);
    }
    Value::Object(m)
}

impl Hub {
    pub fn new(events: Receiver<Event>) -> Hub {
        Hub { clients: Mutex::new(Vec::new()), events: Mutex::new(events), inflight: AtomicUsize::new(0) }
    }

    pub fn add(&self, c: Arc<Client>) {
        let mut list = lock(&self.clients);
        list.retain(|c| !c.is_dead());
        list.push(c);
    }

    pub fn remove(&self, c: &Arc<Client>) {
        lock(&self.clients).retain(|x| !Arc::ptr_eq(x, c));
    }

    pub fn client_count(&self) -> usize {
        lock(&self.clients).iter().filter(|c| !c.is_dead()).count()
    }

    /// Send every pending event to every negotiated client. Events are taken
    /// only under this lock, so after `pump` returns every event emitted
    /// before the call has been written.
    pub fn pump(&self) -> bool {
        self.pump_locked(&lock(&self.events))
    }

    fn pump_locked(&self, rx: &Receiver<Event>) -> bool {
        loop {
            match rx.try_recv() {
                Ok(e) => {
                    let v = event_json(&e);
                    let clients: Vec<Arc<Client>> = lock(&self.clients).clone();
                    for c in clients.iter().filter(|c| c.negotiated.load(Ordering::Acquire)) {
                        c.send(&v);
                    }
                }
                Err(crossbeam_channel::TryRecvError::Empty) => return true,
                Err(crossbeam_channel::TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// Send a command's reply to `client` after the events emitted before it,
    /// and give the client its session's negotiation state, all under the
    /// events lock: an event taken after the reply left sees the new state, so
    /// none falls between `qmp_capabilities`' reply and the client counting as
    /// negotiated (and none comes before that reply, which clients such as
    /// qemu.qmp read as the next message).
    pub fn reply(&self, client: &Client, reply: &Value, negotiated: bool, oob: bool) {
        let rx = lock(&self.events);
        self.pump_locked(&rx);
        client.send(reply);
        test_hooks::after_reply();
        client.negotiated.store(negotiated, Ordering::Release);
        client.oob.store(oob, Ordering::Release);
    }

    /// Block until an event may be pending (or the machine is gone).
    fn wait_event(&self, timeout: std::time::Duration) {
        // A clone waits without taking: taking happens only in `pump`.
        let rx = lock(&self.events).clone();
        let mut sel = crossbeam_channel::Select::new();
        sel.recv(&rx);
        let _ = sel.ready_timeout(timeout);
    }
}

/// Delays that tests use to force an interleaving instead of hoping for it.
mod test_hooks {
    use std::sync::OnceLock;
    use std::time::Duration;

    /// `TERN_TEST_QMP_REPLY_DELAY_MS`: pause after a reply is written, before
    /// the session's state takes effect (tests/qmp.rs, lost events).
    pub fn after_reply() {
        static DELAY: OnceLock<Option<Duration>> = OnceLock::new();
        let d = DELAY.get_or_init(|| {
            std::env::var("TERN_TEST_QMP_REPLY_DELAY_MS").ok()?.parse().ok().map(Duration::from_millis)
        });
        if let Some(d) = d {
            std::thread::sleep(*d);
        }
    }
}

//! The run loop's alarm: a thread that raises the hart's exit-request flag
//! at a deadline, so that generated code (which looks only at that flag)
//! leaves for the run loop when a device needs it (the CLINT's timer
//! comparing true, the console's periodic flush and input poll) instead of
//! every fixed number of instructions. QEMU's TCG does the same with host
//! timers that kick the vCPU out of its chained blocks.
//!
//! Each way out of generated code and back costs several microseconds
//! (the run loop's own work, and the caches and branch predictors it
//! disturbs): at one per 256K instructions that was about 5% of CoreMark.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

/// The alarm thread and what it shares with the run loop; dropping it
/// stops the thread.
pub(crate) struct Alarm {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// When to raise the flag next, if at all.
    at: Option<Instant>,
    quit: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two plain fields, consistent whatever panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Alarm {
    /// Start the thread that raises `flag`; `None` if the host refused a
    /// thread (the run loop then falls back to short slices).
    pub(crate) fn start(flag: Arc<AtomicBool>) -> Option<Alarm> {
        let shared = Arc::new(Shared { state: Mutex::new(State::default()), wake: Condvar::new() });
        let s = shared.clone();
        let thread = std::thread::Builder::new().name("tern-alarm".into()).spawn(move || ring(&s, &flag)).ok()?;
        Some(Alarm { shared, thread: Some(thread) })
    }

    /// Raise the flag at `at`, or earlier if an earlier time is set and
    /// has not passed yet (an early alarm only ends a slice early).
    pub(crate) fn set(&self, at: Instant) {
        let mut st = self.shared.lock();
        if st.at.is_none_or(|t| at < t) {
            st.at = Some(at);
            self.shared.wake.notify_one();
        }
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        self.shared.lock().quit = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The thread: sleep until the time set, raise the flag, wait for the next.
fn ring(s: &Shared, flag: &AtomicBool) {
    let mut st = s.lock();
    while !st.quit {
        st = match st.at {
            None => s.wake.wait(st).unwrap_or_else(PoisonError::into_inner),
            Some(t) => {
                let now = Instant::now();
                if now >= t {
                    st.at = None;
                    flag.store(true, Ordering::Release);
                    continue;
                }
                s.wake.wait_timeout(st, t - now).unwrap_or_else(PoisonError::into_inner).0
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wait_for(flag: &AtomicBool, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if flag.load(Ordering::Acquire) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        flag.load(Ordering::Acquire)
    }

    #[test]
    fn rings_at_the_time_set_not_before() {
        let flag = Arc::new(AtomicBool::new(false));
        let alarm = Alarm::start(flag.clone()).unwrap();
        let t0 = Instant::now();
        alarm.set(t0 + Duration::from_millis(30));
        assert!(wait_for(&flag, Duration::from_secs(10)), "the alarm rang");
        assert!(t0.elapsed() >= Duration::from_millis(30), "not before its time");
        // Rung once: nothing more until set again.
        flag.store(false, Ordering::Release);
        assert!(!wait_for(&flag, Duration::from_millis(50)));
        alarm.set(Instant::now());
        assert!(wait_for(&flag, Duration::from_secs(10)));
    }

    #[test]
    fn an_earlier_time_wins_and_a_later_one_waits() {
        let flag = Arc::new(AtomicBool::new(false));
        let alarm = Alarm::start(flag.clone()).unwrap();
        // A far time, then a near one: the near one rings.
        alarm.set(Instant::now() + Duration::from_secs(3600));
        alarm.set(Instant::now() + Duration::from_millis(5));
        assert!(wait_for(&flag, Duration::from_secs(10)));
        // A near time stays set when a later one comes.
        flag.store(false, Ordering::Release);
        alarm.set(Instant::now() + Duration::from_millis(5));
        alarm.set(Instant::now() + Duration::from_secs(3600));
        assert!(wait_for(&flag, Duration::from_secs(10)));
    }

    #[test]
    fn dropping_stops_the_thread() {
        let flag = Arc::new(AtomicBool::new(false));
        let alarm = Alarm::start(flag.clone()).unwrap();
        alarm.set(Instant::now() + Duration::from_millis(20));
        drop(alarm); // joins: returns only once the thread has ended
        assert!(!wait_for(&flag, Duration::from_millis(60)), "a stopped alarm never rings");
    }
}

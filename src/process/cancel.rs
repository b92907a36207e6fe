//! The process-wide cancellation source (issue 18, item 6): one thread
//! receives every signal bktec forwards, from the start of a command that
//! runs children until bktec exits, and publishes it to whoever handles it
//! at that moment: the test attempt ([`Signals`](super::Signals), which
//! forwards every signal to the test command's group), a helper child
//! ([`output`](super::output), which ends it), or the waits that select on
//! [`Signals::next_cancel`](super::Signals::next_cancel). When nothing
//! handles signals, an ending signal ends bktec at once with 128 + n, as
//! the signal's default action would have.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use rustix::process::Signal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// The signals received and forwarded to the test command's process
/// group (D15).
pub(super) const FORWARDED: [i32; 7] = [
    Signal::INT.as_raw(),
    Signal::TERM.as_raw(),
    Signal::HUP.as_raw(),
    Signal::QUIT.as_raw(),
    Signal::USR1.as_raw(),
    Signal::USR2.as_raw(),
    Signal::WINCH.as_raw(),
];

/// Whether `signal` ends bktec: each forwarded signal whose default action
/// ends a process, which is every one but SIGWINCH. During an attempt it
/// ends the test command, and so bktec with 128 + n (D23); in every other
/// phase it ends bktec the same way.
pub(super) fn is_ending(signal: i32) -> bool {
    signal != Signal::WINCH.as_raw() && FORWARDED.contains(&signal)
}

/// What the signal thread publishes.
#[derive(Default)]
struct Hub {
    /// The first ending signal received; 0 before one is.
    first: AtomicI32,
    /// How many ending signals have been received.
    count: AtomicUsize,
    /// How many parts of bktec handle ending signals right now.
    handlers: AtomicUsize,
    /// Every subscriber, each sent every signal.
    subscribers: Mutex<Vec<mpsc::UnboundedSender<i32>>>,
}

fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(Hub::default)
}

impl Hub {
    /// Records `number`, then ends bktec if nothing handles it, else sends
    /// it to every subscriber. In that order: a handler that ends once it
    /// has seen the signal (and then lets go) must not leave the exit to
    /// this thread, which would race its cleanup; and a handler that lets
    /// go just before the check finds the signal recorded.
    fn publish(&self, number: i32) {
        if is_ending(number) {
            let _ = self
                .first
                .compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst);
            self.count.fetch_add(1, Ordering::SeqCst);
            if self.handlers.load(Ordering::SeqCst) == 0 {
                // Nothing is running that must be ended first, and no stage
                // would notice the signal: end as the default action would.
                std::process::exit(i32::from(crate::exit_code::from_signal(number)));
            }
        }
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|sender| sender.send(number).is_ok());
    }
}

/// Starts the signal thread, once per process; later calls do nothing.
/// From then on a forwarded signal no longer ends bktec by itself: it is
/// published (see the module documentation).
pub(crate) fn install() -> io::Result<()> {
    static STARTED: Mutex<bool> = Mutex::new(false);
    let mut started = STARTED.lock().unwrap_or_else(PoisonError::into_inner);
    if *started {
        return Ok(());
    }
    let (ready, installed) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bktec-signals".to_string())
        .spawn(move || watch(&ready))?;
    installed
        .recv()
        .map_err(|_| io::Error::other("the signal thread ended before it started"))??;
    *started = true;
    Ok(())
}

/// The signal thread: its own runtime, one stream per forwarded signal.
fn watch(ready: &std::sync::mpsc::Sender<io::Result<()>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    runtime.block_on(async {
        let (sender, mut received) = mpsc::unbounded_channel();
        for number in FORWARDED {
            let mut stream = match signal(SignalKind::from_raw(number)) {
                Ok(stream) => stream,
                Err(err) => {
                    let _ = ready.send(Err(err));
                    return;
                }
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if sender.send(number).is_err() {
                        break;
                    }
                }
            });
        }
        let _ = ready.send(Ok(()));
        while let Some(number) = received.recv().await {
            hub().publish(number);
        }
    });
}

/// The first ending signal bktec received, if one was.
pub(crate) fn received() -> Option<i32> {
    match hub().first.load(Ordering::SeqCst) {
        0 => None,
        number => Some(number),
    }
}

/// How many ending signals bktec has received.
pub(super) fn ending_count() -> usize {
    hub().count.load(Ordering::SeqCst)
}

/// A receiver of every signal published from now on.
pub(super) fn subscribe() -> mpsc::UnboundedReceiver<i32> {
    let (sender, receiver) = mpsc::unbounded_channel();
    hub()
        .subscribers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(sender);
    receiver
}

/// While one lives, an ending signal does not end bktec at once: its
/// holder sees it and ends what it runs first.
#[derive(Debug)]
pub(super) struct Handling(());

impl Handling {
    pub(super) fn begin() -> Handling {
        hub().handlers.fetch_add(1, Ordering::SeqCst);
        Handling(())
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        hub().handlers.fetch_sub(1, Ordering::SeqCst);
    }
}

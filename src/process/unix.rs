//! Unix process groups and signals.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

use super::{ChildExit, ChildOutcome, ChildSpec, ProcessError};

/// The signals forwarded to the test command's process group (D15).
const FORWARDED: [i32; 7] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

/// The signals bktec receives, from when they are installed until it exits.
/// Once installed they no longer end bktec by themselves: a SIGINT or SIGTERM
/// that arrives between attempts is seen by [`Signals::pending`].
pub struct Signals {
    receiver: mpsc::UnboundedReceiver<i32>,
}

impl Signals {
    /// Installs the handlers. Must be called inside a tokio runtime.
    pub fn install() -> std::io::Result<Signals> {
        let (sender, receiver) = mpsc::unbounded_channel();
        for number in FORWARDED {
            let mut stream = signal(SignalKind::from_raw(number))?;
            let sender = sender.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if sender.send(number).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Signals { receiver })
    }

    /// Waits for the next SIGINT or SIGTERM (other signals are dropped, as
    /// no child is running to forward them to).
    pub async fn next_cancel(&mut self) -> i32 {
        loop {
            match self.receiver.recv().await {
                Some(number) if is_cancel(number) => return number,
                Some(_) => {}
                None => std::future::pending::<()>().await,
            }
        }
    }

    /// A SIGINT or SIGTERM received while no child was running, if any.
    pub fn pending(&mut self) -> Option<i32> {
        let mut cancel = None;
        while let Ok(number) = self.receiver.try_recv() {
            if is_cancel(number) && cancel.is_none() {
                cancel = Some(number);
            }
        }
        cancel
    }
}

fn is_cancel(signal: i32) -> bool {
    signal == libc::SIGINT || signal == libc::SIGTERM
}

fn signal_group(pgid: i32, signal: i32) -> bool {
    // SAFETY: killpg has no memory-safety preconditions.
    unsafe { libc::killpg(pgid, signal) == 0 }
}

/// Runs `spec` in a new process group with stdin from /dev/null and inherited
/// stdout and stderr. Signals received meanwhile are forwarded to the group; a
/// second SIGINT or SIGTERM, or the end of the grace period after the first,
/// kills it. When the child has exited, anything left in its group is ended.
pub async fn run_child(
    spec: &ChildSpec,
    signals: &mut Signals,
) -> Result<ChildOutcome, ProcessError> {
    let (program, args) = spec.argv.split_first().ok_or(ProcessError::EmptyCommand)?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .process_group(0);
    let mut child = command.spawn().map_err(|source| ProcessError::Spawn {
        program: program.clone(),
        source,
    })?;
    let pgid = i32::try_from(child.id().expect("a running child has a pid")).expect("pids fit i32");
    let mut cancelled_by = None;
    let mut kill_at: Option<Instant> = None;
    let status = loop {
        tokio::select! {
            status = child.wait() => {
                break status.map_err(|source| ProcessError::Wait { program: program.clone(), source })?;
            }
            Some(number) = signals.receiver.recv() => {
                signal_group(pgid, number);
                if is_cancel(number) {
                    if cancelled_by.is_none() {
                        cancelled_by = Some(number);
                        kill_at = Some(Instant::now() + spec.grace);
                    } else {
                        signal_group(pgid, libc::SIGKILL);
                    }
                }
            }
            () = sleep_until(kill_at.unwrap_or_else(Instant::now)), if kill_at.is_some() => {
                signal_group(pgid, libc::SIGKILL);
                kill_at = None;
            }
        }
    };
    end_group(pgid).await;
    let exit = match (status.code(), status.signal()) {
        (Some(code), _) => ChildExit::Code(code),
        (None, Some(signal)) => ChildExit::Signal(signal),
        (None, None) => ChildExit::Code(-1),
    };
    Ok(ChildOutcome { exit, cancelled_by })
}

/// Ends whatever is left in the group once its leader has exited: SIGTERM,
/// a short wait, then SIGKILL. No grandchild outlives the attempt (D15).
async fn end_group(pgid: i32) {
    if !signal_group(pgid, 0) {
        return;
    }
    signal_group(pgid, libc::SIGTERM);
    for _ in 0..20 {
        sleep(Duration::from_millis(25)).await;
        if !signal_group(pgid, 0) {
            return;
        }
    }
    signal_group(pgid, libc::SIGKILL);
}

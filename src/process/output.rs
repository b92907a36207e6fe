//! Helper children: every program bktec runs for what it prints rather
//! than as the test command (pytest collection, the collector probe,
//! example listings, `go list`, `buildkite-agent`). Each runs in its own
//! process group with its output captured, ends at its deadline or at the
//! first ending signal bktec receives (forwarded to the group, then SIGKILL
//! after a short grace), and leaves nothing running: what it started, in
//! its group or not (a `setsid` daemon), is ended once it exits (D28).

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
use rustix::process::Signal;

use super::ProcessError;
use super::cancel::{self, Handling};
use super::unix::{forward_to_group, group_has_members, os, signal_group, signal_pid};

/// How long a helper's group has, after the signal bktec forwarded or its
/// deadline, before it is killed.
const GRACE: Duration = Duration::from_secs(1);

/// How long the output of a helper that exited is still read: a daemon it
/// started may hold the pipes open for ever.
const DRAIN: Duration = Duration::from_millis(200);

/// How long what a helper left running gets after SIGTERM before SIGKILL.
const LEFTOVER_GRACE: Duration = Duration::from_secs(1);

/// How long SIGKILL is repeated before bktec gives up on a process that
/// will not die (one stuck in uninterruptible sleep, say).
const KILL_LIMIT: Duration = Duration::from_secs(5);

/// How often the child and the signals are looked at.
const POLL: Duration = Duration::from_millis(20);

/// The variable that marks each helper's processes, so that what one left
/// is told apart from what another part of bktec runs.
const MARK: &str = "BKTEC_HELPER";

/// How a helper runs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HelperOptions<'a> {
    /// Written to its standard input, which is then closed; `None` gives it
    /// `/dev/null`.
    pub input: Option<&'a [u8]>,
    /// How long it may take; it is ended then.
    pub deadline: Option<Duration>,
    /// Its stdout and stderr are bktec's own (shown to the user), not
    /// captured.
    pub inherit_output: bool,
}

/// How a helper ended, and what it printed.
#[derive(Debug)]
pub(crate) struct Captured {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output (empty when it was shown).
    pub stdout: Vec<u8>,
    /// Its standard error (empty when it was shown).
    pub stderr: Vec<u8>,
}

/// Why a running helper was stopped.
#[derive(Clone, Copy, Debug)]
enum Stop {
    Signal(i32),
    Deadline(Duration),
}

/// Runs `command` as a helper (see the module documentation): stdout and
/// stderr captured, stdin from `options.input` or `/dev/null`. An ending
/// signal received before or while it runs is [`ProcessError::Cancelled`];
/// a helper past its deadline is [`ProcessError::TimedOut`].
pub(crate) fn output(
    command: &mut Command,
    options: HelperOptions<'_>,
) -> Result<Captured, ProcessError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let handling = Handling::begin();
    if let Some(signal) = cancel::received() {
        return Err(ProcessError::Cancelled { program, signal });
    }
    static SEQUENCE: AtomicUsize = AtomicUsize::new(0);
    let mark = format!(
        "{MARK}={}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    );
    let (name, value) = mark.split_once('=').expect("the mark has a `=`");
    command
        .env(name, value)
        .stdin(match options.input {
            Some(_) => Stdio::piped(),
            None => Stdio::null(),
        })
        .stdout(output_pipe(options.inherit_output))
        .stderr(output_pipe(options.inherit_output));
    std::os::unix::process::CommandExt::process_group(command, 0);
    os::die_with_bktec(command);
    os::become_subreaper();
    let mut child = command.spawn().map_err(|source| ProcessError::Spawn {
        program: program.clone(),
        source,
    })?;
    let pgid = i32::try_from(child.id()).expect("pids fit i32");
    let mut pipes = match Pipes::of(&mut child, options.input) {
        Ok(pipes) => pipes,
        Err(source) => {
            signal_group(pgid, Signal::KILL);
            let _ = child.wait();
            return Err(wait_error(&program, source));
        }
    };
    let watched = watch(&mut child, pgid, &mut pipes, options.deadline);
    sweep(pgid, &mark, !matches!(watched, Ok((_, None))));
    drop(handling);
    let (status, stop) = watched.map_err(|source| wait_error(&program, source))?;
    // A signal that came as the helper ended is still this run's.
    match stop.or_else(|| cancel::received().map(Stop::Signal)) {
        Some(Stop::Signal(signal)) => Err(ProcessError::Cancelled { program, signal }),
        Some(Stop::Deadline(after)) => Err(ProcessError::TimedOut { program, after }),
        None => Ok(Captured {
            status,
            stdout: pipes.stdout,
            stderr: pipes.stderr,
        }),
    }
}

fn output_pipe(inherit: bool) -> Stdio {
    if inherit {
        Stdio::inherit()
    } else {
        Stdio::piped()
    }
}

fn wait_error(program: &str, source: io::Error) -> ProcessError {
    ProcessError::Wait {
        program: program.to_string(),
        source,
    }
}

/// Waits for `child`, reading its output, until it exited and its pipes
/// closed (or [`DRAIN`] passed). The first ending signal is forwarded to
/// its group, as is SIGTERM at the deadline; SIGKILL follows after
/// [`GRACE`] or at a second ending signal.
fn watch(
    child: &mut Child,
    pgid: i32,
    pipes: &mut Pipes<'_>,
    deadline: Option<Duration>,
) -> io::Result<(ExitStatus, Option<Stop>)> {
    let started = Instant::now();
    let mut stop: Option<Stop> = None;
    let mut kill_at: Option<Instant> = None;
    let mut signals_at_stop = 0;
    let mut exited: Option<(ExitStatus, Instant)> = None;
    loop {
        pipes.pump(POLL);
        if exited.is_none() {
            exited = child.try_wait()?.map(|status| (status, Instant::now()));
        }
        if let Some((status, at)) = exited {
            if pipes.closed() || stop.is_some() || at.elapsed() >= DRAIN {
                return Ok((status, stop));
            }
            continue;
        }
        let now = Instant::now();
        match (stop, cancel::received(), deadline) {
            (None, Some(signal), _) => {
                forward_to_group(pgid, signal);
                stop = Some(Stop::Signal(signal));
                signals_at_stop = cancel::ending_count();
                kill_at = Some(now + GRACE);
            }
            (None, None, Some(limit)) if now.duration_since(started) >= limit => {
                signal_group(pgid, Signal::TERM);
                stop = Some(Stop::Deadline(limit));
                signals_at_stop = cancel::ending_count();
                kill_at = Some(now + GRACE);
            }
            (Some(_), _, _)
                if kill_at.is_some_and(|at| now >= at)
                    || cancel::ending_count() > signals_at_stop =>
            {
                signal_group(pgid, Signal::KILL);
            }
            _ => {}
        }
    }
}

/// Ends what a helper left running: its group, and the processes that
/// carry its `mark` (a daemon that left the group), SIGTERM first and
/// SIGKILL after [`LEFTOVER_GRACE`], at once when `now`. Zombies of it
/// that were re-parented to bktec are reaped.
fn sweep(pgid: i32, mark: &str, now: bool) {
    let started = Instant::now();
    let kill_from = started + if now { Duration::ZERO } else { LEFTOVER_GRACE };
    let mut known = BTreeSet::new();
    let mut group_signalled = false;
    let signals = cancel::ending_count();
    loop {
        let (live, zombies) = os::helper_leftovers(mark, pgid, &known);
        for pid in zombies {
            os::reap(pid);
        }
        let group_alive = group_has_members(pgid);
        if live.is_empty() && !group_alive {
            return;
        }
        let at = Instant::now();
        if at >= kill_from + KILL_LIMIT {
            return;
        }
        if at >= kill_from || cancel::ending_count() > signals {
            signal_group(pgid, Signal::KILL);
            for &pid in &live {
                signal_pid(pid, Signal::KILL);
            }
        } else {
            if group_alive && !group_signalled {
                signal_group(pgid, Signal::TERM);
                group_signalled = true;
            }
            for &pid in &live {
                // Once each, as for the test command (D28).
                if !known.contains(&pid) {
                    signal_pid(pid, Signal::TERM);
                }
            }
        }
        known.extend(live);
        std::thread::sleep(POLL);
    }
}

/// A helper's pipes, read and written without blocking.
struct Pipes<'a> {
    out: Option<ChildStdout>,
    err: Option<ChildStderr>,
    input: Option<(ChildStdin, &'a [u8])>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl<'a> Pipes<'a> {
    fn of(child: &mut Child, input: Option<&'a [u8]>) -> io::Result<Pipes<'a>> {
        let out = child.stdout.take();
        let err = child.stderr.take();
        if let Some(out) = &out {
            non_blocking(out)?;
        }
        if let Some(err) = &err {
            non_blocking(err)?;
        }
        let input = match (input, child.stdin.take()) {
            (Some(bytes), Some(stdin)) => {
                non_blocking(&stdin)?;
                Some((stdin, bytes))
            }
            _ => None,
        };
        Ok(Pipes {
            out,
            err,
            input,
            stdout: Vec::new(),
            stderr: Vec::new(),
        })
    }

    /// Whether the child closed both output pipes.
    fn closed(&self) -> bool {
        self.out.is_none() && self.err.is_none()
    }

    /// Waits up to `timeout` for a pipe to be ready, then reads and writes
    /// what can be without blocking.
    fn pump(&mut self, timeout: Duration) {
        let mut fds: Vec<PollFd<'_>> = Vec::new();
        if let Some(out) = &self.out {
            fds.push(PollFd::new(out, PollFlags::IN));
        }
        if let Some(err) = &self.err {
            fds.push(PollFd::new(err, PollFlags::IN));
        }
        if let Some((stdin, _)) = &self.input {
            fds.push(PollFd::new(stdin, PollFlags::OUT));
        }
        if fds.is_empty() {
            std::thread::sleep(timeout);
            return;
        }
        let timeout = Timespec::try_from(timeout).expect("a poll interval fits a timespec");
        // An interrupted or failed poll only means another round.
        let _ = poll(&mut fds, Some(&timeout));
        drop(fds);
        if drain(self.out.as_mut(), &mut self.stdout) {
            self.out = None;
        }
        if drain(self.err.as_mut(), &mut self.stderr) {
            self.err = None;
        }
        if let Some((stdin, rest)) = &mut self.input {
            match stdin.write(rest) {
                Ok(written) => *rest = &rest[written..],
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => *rest = &[],
            }
            if rest.is_empty() {
                // Closing stdin tells the child its input is complete.
                self.input = None;
            }
        }
    }
}

/// Reads what `pipe` holds into `into`; whether it reached its end.
fn drain(pipe: Option<&mut impl Read>, into: &mut Vec<u8>) -> bool {
    let Some(pipe) = pipe else {
        return false;
    };
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) => return true,
            Ok(n) => into.extend_from_slice(&buffer[..n]),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return false,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

fn non_blocking(pipe: &impl AsFd) -> io::Result<()> {
    let flags = fcntl_getfl(pipe)?;
    Ok(fcntl_setfl(pipe, flags | OFlags::NONBLOCK)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn output_and_status_are_captured() {
        let captured = output(
            &mut sh("echo out; echo err >&2; exit 3"),
            HelperOptions::default(),
        )
        .unwrap();
        assert_eq!(captured.status.code(), Some(3));
        assert_eq!(captured.stdout, b"out\n");
        assert_eq!(captured.stderr, b"err\n");
    }

    #[test]
    fn input_reaches_the_child() {
        let captured = output(
            &mut sh("cat"),
            HelperOptions {
                input: Some(b"hello"),
                ..HelperOptions::default()
            },
        )
        .unwrap();
        assert_eq!(captured.stdout, b"hello");
    }

    #[test]
    fn input_and_output_larger_than_a_pipe_flow_both_ways_without_blocking() {
        // 4 MiB each way, well past a pipe's 64 KiB: the write of stdin and
        // the reads of stdout and stderr must take turns as poll says.
        let input: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
        let captured = output(
            &mut sh("tee /dev/stderr"),
            HelperOptions {
                input: Some(&input),
                ..HelperOptions::default()
            },
        )
        .unwrap();
        assert_eq!(captured.status.code(), Some(0));
        assert!(captured.stdout == input, "stdout differs");
        assert!(captured.stderr == input, "stderr differs");
    }

    #[test]
    fn a_helper_past_its_deadline_is_ended() {
        let started = Instant::now();
        let err = output(
            &mut sh("sleep 30"),
            HelperOptions {
                deadline: Some(Duration::from_millis(200)),
                ..HelperOptions::default()
            },
        )
        .unwrap_err();
        assert!(matches!(err, ProcessError::TimedOut { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_background_process_holding_the_pipe_does_not_hold_bktec() {
        // The background `sleep` keeps stdout open; it is in the group,
        // so it is ended when the shell has exited.
        let started = Instant::now();
        let captured =
            output(&mut sh("sleep 30 & echo started"), HelperOptions::default()).unwrap();
        assert_eq!(captured.stdout, b"started\n");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

//! Unix process groups and signals.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process, kill_process_group, test_kill_process_group};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

use super::{ChildExit, ChildOutcome, ChildSpec, ProcessError, cancel};

/// The signals bktec receives, from when they are installed until it exits.
/// While one of these lives, a signal no longer ends bktec by itself: the
/// test attempt forwards it ([`run_child`]), and one that arrives between
/// attempts or while the plan is fetched is seen by [`Signals::pending`] and
/// [`Signals::next_cancel`].
pub(crate) struct Signals {
    receiver: mpsc::UnboundedReceiver<i32>,
    /// An ending signal received before this subscription began.
    initial: Option<i32>,
    _handling: cancel::Handling,
}

impl Signals {
    /// Installs the process-wide source if it is not yet, and subscribes
    /// to it.
    pub(crate) fn install() -> std::io::Result<Signals> {
        cancel::install()?;
        let handling = cancel::Handling::begin();
        let receiver = cancel::subscribe();
        Ok(Signals {
            receiver,
            initial: cancel::received(),
            _handling: handling,
        })
    }

    /// Waits for the next signal that ends bktec (every forwarded one but
    /// SIGWINCH; the others are dropped, as no child is running to forward
    /// them to).
    pub(crate) async fn next_cancel(&mut self) -> i32 {
        if let Some(number) = self.initial.take() {
            return number;
        }
        loop {
            match self.receiver.recv().await {
                Some(number) if cancel::is_ending(number) => return number,
                Some(_) => {}
                None => std::future::pending::<()>().await,
            }
        }
    }

    /// A signal that ends bktec, received while no child was running, if any.
    pub(crate) fn pending(&mut self) -> Option<i32> {
        let mut ending = self.initial.take();
        while let Ok(number) = self.receiver.try_recv() {
            if cancel::is_ending(number) && ending.is_none() {
                ending = Some(number);
            }
        }
        ending
    }
}

fn is_cancel(signal: i32) -> bool {
    signal == Signal::INT.as_raw() || signal == Signal::TERM.as_raw()
}

/// Sends `signal` to process group `pgid`; whether it was sent.
pub(super) fn signal_group(pgid: i32, signal: Signal) -> bool {
    Pid::from_raw(pgid).is_some_and(|group| kill_process_group(group, signal).is_ok())
}

/// Forwards signal `number`, as bktec received it, to process group `pgid`.
/// Every signal bktec receives has a name (`cancel::FORWARDED`).
pub(super) fn forward_to_group(pgid: i32, number: i32) -> bool {
    Signal::from_named_raw(number).is_some_and(|signal| signal_group(pgid, signal))
}

/// Whether process group `pgid` still has a member (signal 0).
pub(super) fn group_has_members(pgid: i32) -> bool {
    Pid::from_raw(pgid).is_some_and(|group| test_kill_process_group(group).is_ok())
}

/// Sends `signal` to process `pid`; whether it was sent.
pub(super) fn signal_pid(pid: i32, signal: Signal) -> bool {
    Pid::from_raw(pid).is_some_and(|process| kill_process(process, signal).is_ok())
}

/// Runs `spec` in a new process group with stdin from /dev/null and inherited
/// stdout and stderr. Signals received meanwhile are forwarded to the group; a
/// second SIGINT or SIGTERM, or the end of the grace period after the first,
/// kills it. When the child has exited, every descendant it left behind, in
/// its group or not, is ended (D15, D28) and counted in the outcome.
pub(crate) async fn run_child(
    spec: &ChildSpec,
    signals: &mut Signals,
) -> Result<ChildOutcome, ProcessError> {
    let (program, args) = spec.argv.split_first().ok_or(ProcessError::EmptyCommand)?;
    let copy = open_copy(spec, program)?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(if copy.is_some() {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .stderr(Stdio::inherit())
        .process_group(0);
    os::die_with_bktec(command.as_std_mut());
    // D28: before the first descendant can be orphaned, so that daemons that
    // leave the group are re-parented to bktec and can still be found.
    os::become_subreaper();
    let mut child = command.spawn().map_err(|source| ProcessError::Spawn {
        program: program.clone(),
        source,
    })?;
    let copying = copy.and_then(|(file, path)| {
        let out = child.stdout.take()?.into_owned_fd().ok()?;
        Some(tee(std::fs::File::from(out), file, path))
    });
    let pgid = i32::try_from(child.id().expect("a running child has a pid")).expect("pids fit i32");
    let mut stop = Stopping {
        pgid,
        grace: spec.grace,
        cancelled_by: None,
        timed_out: false,
        deadline: spec.deadline.map(|d| Instant::now() + d),
        kill_at: None,
        grace_ends: None,
    };
    let status = loop {
        tokio::select! {
            status = child.wait() => {
                break status.map_err(|source| ProcessError::Wait { program: program.clone(), source })?;
            }
            Some(number) = signals.receiver.recv() => stop.signalled(number),
            () = sleep_until(stop.deadline.unwrap_or_else(Instant::now)), if stop.deadline.is_some() => {
                stop.time_out();
            }
            () = sleep_until(stop.kill_at.unwrap_or_else(Instant::now)), if stop.kill_at.is_some() => {
                signal_group(pgid, Signal::KILL);
                stop.kill_at = None;
            }
        }
    };
    let Stopping {
        mut cancelled_by,
        timed_out,
        grace_ends,
        ..
    } = stop;
    // After a cancel or the deadline, the leftovers get what remains of the
    // grace period it started (none after a second signal), so that bktec
    // still ends within it; otherwise they get a grace period of their own.
    let deadline = grace_ends.unwrap_or_else(|| Instant::now() + spec.grace);
    let left_running = end_leftovers(pgid, deadline, signals, &mut cancelled_by).await;
    if let Some(done) = copying {
        // The pipe closes when the last process holding it has ended; one
        // that could not be ended leaves the copy behind.
        let _ = tokio::time::timeout(KILL_LIMIT, done).await;
    }
    let exit = match (status.code(), status.signal()) {
        (Some(code), _) => ChildExit::Code(code),
        (None, Some(signal)) => ChildExit::Signal(signal),
        (None, None) => ChildExit::Code(-1),
    };
    Ok(ChildOutcome {
        exit,
        cancelled_by,
        left_running,
        timed_out,
    })
}

/// How a running child is being stopped: by a cancel, or its deadline.
struct Stopping {
    pgid: i32,
    grace: Duration,
    /// The SIGINT or SIGTERM bktec received.
    cancelled_by: Option<i32>,
    /// Whether the deadline ended the child.
    timed_out: bool,
    /// When the deadline ends the child, until it has.
    deadline: Option<Instant>,
    /// When the group is killed, once it has been asked to stop.
    kill_at: Option<Instant>,
    /// When the grace period ends (at once after a second signal).
    grace_ends: Option<Instant>,
}

impl Stopping {
    /// Forwards signal `number`; a first cancel starts the grace period, a
    /// second kills at once.
    fn signalled(&mut self, number: i32) {
        forward_to_group(self.pgid, number);
        if !is_cancel(number) {
            return;
        }
        self.deadline = None;
        if self.cancelled_by.is_none() {
            // A cancel during the deadline's grace period keeps it.
            self.cancelled_by = Some(number);
            if !self.timed_out {
                self.ask_to_stop();
            }
        } else {
            signal_group(self.pgid, Signal::KILL);
            self.grace_ends = Some(Instant::now());
        }
    }

    /// The deadline passed: SIGTERM, as a cancel would send (D48).
    fn time_out(&mut self) {
        self.deadline = None;
        self.timed_out = true;
        signal_group(self.pgid, Signal::TERM);
        self.ask_to_stop();
    }

    fn ask_to_stop(&mut self) {
        self.kill_at = Some(Instant::now() + self.grace);
        self.grace_ends = self.kill_at;
    }
}

/// The file that gets a copy of the child's standard output, created (or
/// emptied) before the child starts, with its path.
fn open_copy(
    spec: &ChildSpec,
    program: &str,
) -> Result<Option<(std::fs::File, std::path::PathBuf)>, ProcessError> {
    let Some(path) = &spec.stdout_copy else {
        return Ok(None);
    };
    let file = std::fs::File::create(path).map_err(|source| ProcessError::Copy {
        program: program.to_string(),
        path: path.clone(),
        source,
    })?;
    Ok(Some((file, path.clone())))
}

/// Copies what `from` yields to bktec's standard output and to `file` (at
/// `path`), on a thread of its own; the receiver hears when `from` is
/// closed. A copy that cannot be written is removed, so that a part of the
/// output is never read as all of it (D23): the attempt then has no result
/// file, and says so.
fn tee(
    mut from: std::fs::File,
    mut file: std::fs::File,
    path: std::path::PathBuf,
) -> tokio::sync::oneshot::Receiver<()> {
    use std::io::{Read, Write};
    let (done, finished) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        let mut failed: Option<std::io::Error> = None;
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    failed.get_or_insert(err);
                    break;
                }
            };
            #[expect(
                clippy::disallowed_methods,
                reason = "the test command's own output, passed through as an inherited stdout would be"
            )]
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(&buf[..n]).and_then(|()| stdout.flush());
            if failed.is_none()
                && let Err(err) = file.write_all(&buf[..n])
            {
                failed = Some(err);
            }
        }
        // The attempt then reports that the command wrote no result file.
        if failed.is_some() || file.flush().is_err() {
            let _ = std::fs::remove_file(&path);
        }
        let _ = done.send(());
    });
    finished
}

/// How long SIGKILL is repeated before bktec gives up on a process that
/// will not die (one stuck in uninterruptible sleep, say).
const KILL_LIMIT: Duration = Duration::from_secs(5);

/// How often the leftovers are looked for again while they are ended.
const POLL: Duration = Duration::from_millis(25);

/// How long what a command left behind gets to end by itself before it is
/// signalled (D39): bats writes its JUnit report from a process
/// substitution that bash does not wait for, a few milliseconds after bats
/// has exited.
const SETTLE: Duration = Duration::from_secs(1);

/// Waits up to [`SETTLE`] for the command's leftovers to end by themselves;
/// a SIGINT or SIGTERM ends the wait and marks the attempt cancelled.
async fn settle(pgid: i32, signals: &mut Signals, cancelled_by: &mut Option<i32>) {
    let until = Instant::now() + SETTLE;
    while Instant::now() < until && (group_has_members(pgid) || !os::live_descendants().is_empty())
    {
        tokio::select! {
            () = sleep(POLL) => {}
            Some(number) = signals.receiver.recv() => {
                forward_to_group(pgid, number);
                if is_cancel(number) {
                    cancelled_by.get_or_insert(number);
                    return;
                }
            }
        }
    }
}

/// Ends whatever the test command left once it has exited (D15, D28): its
/// process group, and on Linux every other descendant of bktec, which as the
/// subreaper is the parent of every orphan. Each gets SIGTERM, then SIGKILL
/// at `deadline` or when a SIGINT or SIGTERM arrives (which also marks the
/// attempt cancelled); a deadline already past means SIGKILL at once.
/// Zombies are reaped. Returns how many live descendants were found (always
/// 0 where they cannot be listed).
async fn end_leftovers(
    pgid: i32,
    deadline: Instant,
    signals: &mut Signals,
    cancelled_by: &mut Option<i32>,
) -> usize {
    if cancelled_by.is_none() && Instant::now() < deadline {
        settle(pgid, signals, cancelled_by).await;
    }
    let mut found = BTreeSet::new();
    let mut group_signalled = false;
    let mut kill = Instant::now() >= deadline;
    let mut give_up_at: Option<Instant> = None;
    loop {
        let live = os::live_descendants();
        let group_alive = group_has_members(pgid);
        if live.is_empty() && !group_alive {
            break;
        }
        if kill {
            let give_up_at = *give_up_at.get_or_insert_with(|| Instant::now() + KILL_LIMIT);
            if Instant::now() >= give_up_at {
                break;
            }
            signal_group(pgid, Signal::KILL);
            for &pid in &live {
                signal_pid(pid, Signal::KILL);
            }
            found.extend(live);
        } else {
            if group_alive && !group_signalled {
                signal_group(pgid, Signal::TERM);
                group_signalled = true;
            }
            for pid in live {
                // Once each: a process that traps SIGTERM to clean up gets
                // one, not one per poll.
                if found.insert(pid) {
                    signal_pid(pid, Signal::TERM);
                }
            }
        }
        tokio::select! {
            () = sleep(POLL) => {}
            () = sleep_until(deadline), if !kill => kill = true,
            Some(number) = signals.receiver.recv() => {
                if is_cancel(number) {
                    cancelled_by.get_or_insert(number);
                    kill = true;
                }
            }
        }
    }
    found.len()
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::{CommandExt, ExitStatusExt};

    use super::*;

    #[test]
    fn a_group_is_signalled_by_number_until_it_is_gone() {
        let mut sleeper = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("start sleep");
        let pgid = i32::try_from(sleeper.id()).expect("pids fit i32");
        assert!(group_has_members(pgid));
        // Neither 0 nor a real-time signal is one bktec forwards.
        assert!(!forward_to_group(pgid, 0));
        assert!(!forward_to_group(pgid, 34));
        assert!(forward_to_group(pgid, Signal::TERM.as_raw()));
        let status = sleeper.wait().expect("wait for sleep");
        assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
        assert!(!group_has_members(pgid));
        assert!(!signal_group(pgid, Signal::KILL));
        assert!(!signal_pid(pgid, Signal::KILL));
        // Pid 0 would mean bktec's own group: never signalled.
        assert!(!group_has_members(0) && !signal_group(0, Signal::WINCH));
    }
}

/// Subreaper and descendant listing on Linux (D28).
#[cfg(target_os = "linux")]
pub(super) mod os {
    use std::collections::BTreeMap;
    use std::fs;

    use rustix::io::Errno;
    use rustix::process;

    /// Makes bktec a child subreaper: an orphaned descendant (a daemon that
    /// double-forked or called `setsid`) becomes bktec's child rather than
    /// init's, so it can still be found and ended.
    pub(in crate::process) fn become_subreaper() {
        // rustix passes the pid as the flag: any pid sets it. It cannot fail
        // on a kernel since 3.4; if it did, the descendants that stay below
        // bktec would still be ended.
        let _ = process::set_child_subreaper(Some(process::getpid()));
    }

    /// Has the kernel SIGKILL the test command when bktec dies, so that
    /// even a SIGKILLed bktec, which can end nothing itself, leaves no test
    /// command running (D28). Only the direct child is covered: the death
    /// signal is per process and not inherited by its children.
    ///
    /// The signal fires when the *thread* that spawned the child exits, not
    /// the process. The spawn runs on the thread that polls [`run_child`]:
    /// `run_cmd` drives it with a current-thread runtime from bktec's main
    /// thread, so that thread ends only with bktec.
    pub(in crate::process) fn die_with_bktec(command: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        let bktec = process::getpid();
        let hook = move || {
            process::set_parent_process_death_signal(Some(process::Signal::KILL))?;
            // bktec died before the death signal was set, which then never
            // comes: do not run the command at all.
            if process::getppid() != Some(bktec) {
                return Err(Errno::SRCH.into());
            }
            Ok(())
        };
        // SAFETY: between fork and exec only async-signal-safe calls are
        // allowed. The hook allocates nothing: rustix makes the prctl and
        // getppid system calls directly, and an io::Error from an OS code
        // is a plain integer.
        unsafe {
            command.pre_exec(hook);
        }
    }

    /// The state letter and the parent pid from a `/proc/<pid>/stat` line.
    /// The command name is in parentheses and may itself hold spaces and
    /// parentheses, so the fields are read after the last `)`.
    pub(super) fn parse_stat(stat: &str) -> Option<(char, i32)> {
        let rest = &stat[stat.rfind(')')? + 1..];
        let mut fields = rest.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let parent = fields.next()?.parse().ok()?;
        Some((state, parent))
    }

    /// Every process, with its state and parent.
    fn processes() -> BTreeMap<i32, (char, i32)> {
        let Ok(entries) = fs::read_dir("/proc") else {
            return BTreeMap::new();
        };
        entries
            .filter_map(|entry| {
                let pid: i32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
                let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                Some((pid, parse_stat(&stat)?))
            })
            .collect()
    }

    /// The live descendants of bktec. Zombies that are bktec's own children
    /// are reaped on the way (orphans re-parented to the subreaper have no
    /// one else to reap them); deeper zombies are reaped once their parent
    /// is gone and they are re-parented here.
    pub(super) fn live_descendants() -> Vec<i32> {
        let me = i32::try_from(std::process::id()).expect("pids fit i32");
        let (live, zombie_children) = descendants(&processes(), me);
        for pid in zombie_children {
            reap(pid);
        }
        live
    }

    /// The live descendants of `root` in `table`, and the zombies that are
    /// its direct children.
    fn descendants(table: &BTreeMap<i32, (char, i32)>, root: i32) -> (Vec<i32>, Vec<i32>) {
        let mut live = Vec::new();
        let mut zombie_children = Vec::new();
        for (&pid, &(state, parent)) in table {
            if state == 'Z' {
                if parent == root {
                    zombie_children.push(pid);
                }
                continue;
            }
            let mut ancestor = parent;
            // Bounded: a parent chain read from a changing /proc may loop.
            for _ in 0..table.len() {
                if ancestor == root {
                    live.push(pid);
                    break;
                }
                match table.get(&ancestor) {
                    Some(&(_, next)) if ancestor > 1 => ancestor = next,
                    _ => break,
                }
            }
        }
        (live, zombie_children)
    }

    /// What a helper child left (see `output`): the live descendants of
    /// bktec that carry `mark` in their environment or are in group `pgid`,
    /// and the zombies among bktec's own children that are in that group
    /// or in `known`.
    pub(in crate::process) fn helper_leftovers(
        mark: &str,
        pgid: i32,
        known: &std::collections::BTreeSet<i32>,
    ) -> (Vec<i32>, Vec<i32>) {
        let me = i32::try_from(std::process::id()).expect("pids fit i32");
        let table = processes();
        let (live, zombies) = descendants(&table, me);
        let in_group = |pid: i32| group_of(pid) == Some(pgid);
        let live = live
            .into_iter()
            .filter(|&pid| in_group(pid) || carries(pid, mark))
            .collect();
        let zombies = zombies
            .into_iter()
            .filter(|&pid| known.contains(&pid) || in_group(pid))
            .collect();
        (live, zombies)
    }

    /// The process group of `pid`, from `/proc/<pid>/stat`.
    fn group_of(pid: i32) -> Option<i32> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let rest = &stat[stat.rfind(')')? + 1..];
        rest.split_whitespace().nth(2)?.parse().ok()
    }

    /// Whether `pid` started with `mark` (`NAME=value`) in its environment.
    fn carries(pid: i32, mark: &str) -> bool {
        fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|env| env.split(|b| *b == 0).any(|entry| entry == mark.as_bytes()))
    }

    /// Reaps zombie `pid`, without waiting. Only a zombie child is waited
    /// for, by its pid (never "any child", which a pid of 0 would mean), so
    /// no child that tokio waits for is taken.
    pub(in crate::process) fn reap(pid: i32) {
        if let Some(pid) = process::Pid::from_raw(pid) {
            let _ = process::waitpid(Some(pid), process::WaitOptions::NOHANG);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn descendants_follow_the_parent_chain() {
            let table = BTreeMap::from([
                (1, ('S', 0)),
                (10, ('S', 1)),
                (11, ('S', 10)),
                (12, ('S', 11)),
                (13, ('Z', 10)),
                (14, ('Z', 11)),
                (20, ('S', 1)),
            ]);
            assert_eq!(descendants(&table, 10), (vec![11, 12], vec![13]));
        }

        #[test]
        fn stat_lines_with_awkward_names() {
            assert_eq!(parse_stat("42 (sleep) S 7 42 42 0"), Some(('S', 7)));
            assert_eq!(parse_stat("42 (a) b) (c) Z 1 42"), Some(('Z', 1)));
            assert_eq!(parse_stat("42 (x y"), None);
        }

        #[test]
        fn a_grandchild_is_a_live_descendant() {
            // A real shell whose background `sleep` is bktec's grandchild.
            let mut shell = std::process::Command::new("sh")
                .args(["-c", "sleep 30 & echo $!; wait"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("start sh");
            let mut line = String::new();
            std::io::BufRead::read_line(
                &mut std::io::BufReader::new(shell.stdout.take().expect("piped")),
                &mut line,
            )
            .expect("read pid");
            let sleeper: i32 = line.trim().parse().expect("a pid");
            let shell_pid = i32::try_from(shell.id()).expect("pids fit i32");
            // Without reaping: other tests of this binary wait for their own children.
            let me = i32::try_from(std::process::id()).expect("pids fit i32");
            let (live, _) = descendants(&processes(), me);
            super::super::signal_pid(sleeper, process::Signal::KILL);
            shell.wait().expect("wait for sh");
            assert!(live.contains(&shell_pid), "{live:?}");
            assert!(live.contains(&sleeper), "{live:?}");
        }
    }
}

/// Where there is no subreaper (every Unix but Linux), only the process
/// group is ended: a descendant that left it (`setsid`, `setpgid`) is not
/// found and may outlive bktec (D28; the README says so).
#[cfg(not(target_os = "linux"))]
pub(super) mod os {
    /// No death signal outside Linux: a SIGKILLed bktec leaves its test
    /// command running (the README says so).
    pub(in crate::process) fn die_with_bktec(_command: &mut std::process::Command) {}

    pub(in crate::process) fn become_subreaper() {}

    pub(super) fn live_descendants() -> Vec<i32> {
        Vec::new()
    }

    pub(in crate::process) fn helper_leftovers(
        _mark: &str,
        _pgid: i32,
        _known: &std::collections::BTreeSet<i32>,
    ) -> (Vec<i32>, Vec<i32>) {
        (Vec::new(), Vec::new())
    }

    pub(in crate::process) fn reap(_pid: i32) {}
}

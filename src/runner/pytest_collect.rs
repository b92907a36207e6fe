//! pytest example discovery (behaviour document 6.3, D13) and the collector
//! checks for tag filters (7.6, D14).

use std::error::Error;
use std::fmt;
use std::io;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use pep440_rs::Version;

use super::target::{TargetError, TargetOrigin, target_args};
use super::template::{
    CommandTemplate, MissingTests, RESULT_PATH, TEST_EXAMPLES, program_name, shell_quote,
};
use crate::chain::ErrorChain;
use crate::process::{self, Captured, HelperOptions, ProcessError};
use crate::results::{PathOffset, Witness, junit_classname, split_node_id};

/// How a collection runs: the variables it is given, and how long it may
/// take (`runner.collection-timeout`) before it is ended.
#[derive(Clone, Debug)]
pub(crate) struct CollectionChild {
    /// Variables added to bktec's environment.
    pub env: Vec<(String, String)>,
    /// How long it may take.
    pub deadline: Duration,
}

/// How long the interpreter may take to answer a probe (is the collector
/// installed, which version).
pub(crate) const PROBE_DEADLINE: Duration = Duration::from_secs(60);

/// Runs a collection or a listing as a helper child (`process::output`):
/// in its own group, ended at `deadline` or when bktec receives an ending
/// signal, leaving nothing running.
pub(super) fn run_collection(
    command: &mut Command,
    deadline: Duration,
) -> Result<Captured, ProcessError> {
    process::output(
        command,
        HelperOptions {
            deadline: Some(deadline),
            ..HelperOptions::default()
        },
    )
}

/// Runs a probe of the interpreter as a helper child, within [`PROBE_DEADLINE`].
pub(super) fn run_probe(command: &mut Command) -> Result<Captured, ProcessError> {
    process::output(
        command,
        HelperOptions {
            deadline: Some(PROBE_DEADLINE),
            ..HelperOptions::default()
        },
    )
}

/// Why the examples of the files to split could not be listed (6.3, 6.4).
#[derive(Debug)]
pub struct CollectError {
    /// The listing, as the message names it (`pytest collection`,
    /// `rspec dry run`).
    tool: &'static str,
    /// What went wrong.
    kind: CollectErrorKind,
}

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.tool)
    }
}

impl Error for CollectError {
    /// The child's own error when the child could not run to its end, so
    /// that a cancellation (`ProcessError::Cancelled`) is found in the chain.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.kind {
            CollectErrorKind::Process(err) => Some(err),
            kind => Some(kind),
        }
    }
}

impl CollectError {
    /// `what` listing `tool` needs (a temporary directory) could not be made.
    pub(super) fn start(tool: &'static str, what: &str, source: io::Error) -> CollectError {
        CollectError {
            tool,
            kind: CollectErrorKind::Start {
                what: what.to_string(),
                source,
            },
        }
    }

    /// Listing `tool` failed, printing `output`, or wrote what bktec could
    /// not read (the reason).
    pub(super) fn failed(tool: &'static str, output: String) -> CollectError {
        CollectError {
            tool,
            kind: CollectErrorKind::Failed { stderr: output },
        }
    }

    /// The child of listing `tool` could not run to its end: it could not
    /// start, ran past its deadline or was stopped by a signal.
    pub(super) fn process(tool: &'static str, err: ProcessError) -> CollectError {
        CollectError {
            tool,
            kind: CollectErrorKind::Process(err),
        }
    }

    /// A file to list cannot be passed as one argument (D24).
    pub(super) fn target(tool: &'static str, err: TargetError) -> CollectError {
        CollectError {
            tool,
            kind: CollectErrorKind::Target(err),
        }
    }
}

/// What went wrong collecting examples.
#[derive(Debug, thiserror::Error)]
enum CollectErrorKind {
    /// A file to collect cannot be passed as one argument (D24).
    #[error(transparent)]
    Target(TargetError),
    /// The child could not run to its end (shown through its own error).
    #[error(transparent)]
    Process(ProcessError),
    /// What the listing needs could not be made (a temporary directory).
    #[error("failed to make {what}")]
    Start {
        /// What it needs.
        what: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// pytest exited non-zero: what it printed, stdout then stderr.
    #[error("{stderr}")]
    Failed {
        /// pytest's output, trimmed.
        stderr: String,
    },
    /// pytest collected tests in a file whose name is not UTF-8 (D36).
    #[error(
        "pytest collected tests in `{file}`, whose name is not UTF-8 (shown with its bad bytes as \\xNN): bktec names test files to the runner and to Test Engine as text, so it can neither run them nor leave them out. Rename the file, or keep pytest from collecting it"
    )]
    NotUtf8 {
        /// The file, bad bytes written `\xNN`.
        file: String,
    },
    /// pytest collected tests, but their node ids could not be read.
    #[error(
        "pytest collected tests, but bktec could not read their node ids from its output (does `addopts` add -q or -v?)"
    )]
    NodeIdsUnreadable,
}

impl From<CollectErrorKind> for CollectError {
    fn from(kind: CollectErrorKind) -> CollectError {
        CollectError {
            tool: "pytest collection",
            kind,
        }
    }
}

/// Why the installed collector's version could not be found (7.6).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CollectorVersionError {
    /// The interpreter could not be started.
    #[error("failed to start `{python}`")]
    Start {
        /// The interpreter.
        python: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The interpreter did not answer: it ran past its deadline, or bktec
    /// received a signal meanwhile.
    #[error("`{python}` did not answer")]
    Stopped {
        /// The interpreter.
        python: &'static str,
        /// Why.
        #[source]
        source: ProcessError,
    },
    /// The interpreter could not tell: what it printed to stderr (a
    /// traceback ending in `PackageNotFoundError`, typically).
    #[error("{stderr}")]
    Query {
        /// The interpreter.
        python: &'static str,
        /// Its stderr, trimmed.
        stderr: String,
    },
}

/// The upgrade line of the version pre-flight failures (7.6).
const UPGRADE: &str = "Please upgrade with: pip install --upgrade buildkite-test-collector";

/// A failed pre-flight check of `--tag-filters` (7.6); bktec exits 1. The
/// messages are the Go client's, two lines each: what is wrong, then what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PreflightError {
    /// The collector is not installed.
    #[error(
        "Error: --tag-filters requires the 'buildkite-test-collector' package.\nPlease install it with: pip install buildkite-test-collector."
    )]
    CollectorMissing,
    /// The collector's version could not be found. The Go client prints the
    /// reason inside the first line, so it is not a `caused by` line.
    #[error(
        "Error: could not determine buildkite-test-collector version: {:#}\n{UPGRADE}",
        ErrorChain(reason)
    )]
    VersionUnknown {
        /// Why.
        reason: CollectorVersionError,
    },
    /// The collector's version is not a PEP 440 version.
    #[error(
        "Error: could not parse installed buildkite-test-collector version \"{version}\"\n{UPGRADE}"
    )]
    VersionUnparsable {
        /// The version as printed.
        version: String,
    },
    /// The collector is too old for tag filters.
    #[error(
        "Error: buildkite-test-collector version {version} is installed, but version >1.2.0 is required for --tag-filters support\n{UPGRADE}"
    )]
    VersionTooOld {
        /// The installed version.
        version: String,
    },
}

/// One collected test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectedExample {
    /// The node id, as pytest names it: relative to its rootdir.
    pub node_id: String,
    /// The node id relative to the working directory, which is what a
    /// target is relative to: the test's file as the witness saw it, and
    /// the rest of its node id; the node id itself when the witness did not
    /// load, or the rootdir is the working directory.
    pub path: String,
    /// The file part of `path`.
    pub file: String,
    /// The test's file's absolute path and the rest of its node id, which
    /// the rootdir cannot change: the witness limits a run by it. Empty when
    /// the witness did not load.
    pub key: String,
    /// The node id without its last part (in JUnit classname form in JUnit mode).
    pub scope: String,
    /// The last node-id part.
    pub name: String,
    /// For a runner's example listing, the test's key in the timing history
    /// (D51), which is not what runs it; `None` for pytest, whose path is.
    pub history_key: Option<String>,
}

/// The program part of a pytest command (D13) and the words after it: the
/// program is the words up to and including the first whose file name is
/// `pytest` or `py.test` (`uv run pytest`, `python -m pytest`,
/// `.venv/bin/pytest`); otherwise the words before the first placeholder or
/// option; otherwise `pytest`, and then nothing follows it. The one place
/// that reads where pytest's program ends.
fn split_program(template: &CommandTemplate) -> (Vec<String>, Vec<String>) {
    let mut words = template.program_words();
    let is_pytest = |w: &String| matches!(program_name(w), "pytest" | "py.test");
    let end = match words.iter().position(is_pytest) {
        Some(i) => i + 1,
        None => words
            .iter()
            .take_while(|w| {
                !w.starts_with('-') && !w.contains(TEST_EXAMPLES) && !w.contains(RESULT_PATH)
            })
            .count(),
    };
    if end == 0 {
        return (vec!["pytest".to_string()], Vec::new());
    }
    let rest = words.split_off(end);
    (words, rest)
}

/// Runs `<prefix> --collect-only -q [--tag-filters F] <files>` with `env`
/// and returns the node ids it selected: from the witness (D23) when it
/// loaded, else as printed. A non-zero exit is an error with pytest's
/// stderr; a collection whose node ids cannot be read (an `addopts` of
/// `-q` or `-v` changes what pytest prints) is an error too, never an empty
/// list, so no file is dropped from the plan.
pub(crate) fn collect_examples(
    template: &CommandTemplate,
    result_path: &str,
    files: &[String],
    tag_filters: Option<&str>,
    junit: bool,
    child: &CollectionChild,
    witness: impl FnOnce() -> Option<Witness>,
) -> Result<Vec<CollectedExample>, CollectError> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let options = match tag_filters {
        Some(filters) => vec!["--tag-filters", filters],
        None => Vec::new(),
    };
    collect(
        template,
        result_path,
        &options,
        files,
        junit,
        child,
        witness,
    )?
    .ok_or_else(|| CollectErrorKind::Failed {
        stderr: "pytest collected no tests (exit status 5)".to_string(),
    })
    .map_err(CollectError::from)
}

/// Runs `<prefix> --collect-only -q` with no targets, so that pytest
/// decides what to collect from the project's own configuration
/// (`testpaths`, `python_files`, `addopts`, `collect_ignore`): discovery by
/// pytest (issue #12). `Ok(None)` when pytest collected no tests at all (its
/// status 5).
pub(crate) fn collect_suite(
    template: &CommandTemplate,
    result_path: &str,
    child: &CollectionChild,
    witness: impl FnOnce() -> Option<Witness>,
) -> Result<Option<Vec<CollectedExample>>, CollectError> {
    collect(template, result_path, &[], &[], false, child, witness)
}

/// Options that keep pytest's cache plugin from selecting in a collection
/// (D36): `--lf` and `--sw` (from `addopts`, say) would collect only what
/// failed last time, and a plan or a proof made from that would leave tests
/// out. The plugins are blocked by the names they register under, so their
/// options are still known and the cache is neither read nor written.
const CACHE_SELECTION_OFF: &[&str] = &[
    "-p",
    "no:lfplugin",
    "-p",
    "no:lfplugin-collwrapper",
    "-p",
    "no:stepwiseplugin",
];

/// The collection both of the above run; `Ok(None)` for pytest's status 5.
fn collect(
    template: &CommandTemplate,
    result_path: &str,
    options: &[&str],
    files: &[String],
    junit: bool,
    child: &CollectionChild,
    witness: impl FnOnce() -> Option<Witness>,
) -> Result<Option<Vec<CollectedExample>>, CollectError> {
    let options: Vec<&str> = CACHE_SELECTION_OFF.iter().chain(options).copied().collect();
    let mut command = collect_only(template, result_path, &options, files, &child.env)
        .map_err(CollectErrorKind::Target)?;
    let _leftover = Leftover::of(template, result_path);
    let output = run_collection(&mut command, child.deadline)
        .map_err(|err| CollectError::process("pytest collection", err))?;
    let witness = witness();
    let offset = witness.as_ref().map(Witness::offset).unwrap_or_default();
    // Status 5: no tests collected, or every one deselected.
    if output.status.code() == Some(5) {
        return Ok(None);
    }
    if !output.status.success() {
        return Err(CollectErrorKind::Failed {
            // pytest reports collection errors on stdout; its stderr holds
            // only warnings (the collector's, for one).
            stderr: printed([&output.stdout, &output.stderr]),
        }
        .into());
    }
    if let Some(file) = witness.as_ref().and_then(|w| w.unnamable.first()) {
        return Err(CollectErrorKind::NotUtf8 { file: file.clone() }.into());
    }
    // Each test's file as the witness saw it, where it did.
    let (node_ids, files) = match witness {
        Some(Witness {
            selected: Some(ids),
            selected_paths: Some(paths),
            selected_files: Some(files),
            ..
        }) if ids.len() == paths.len() && ids.len() == files.len() => {
            let files = paths.into_iter().zip(files).map(Some).collect();
            (ids, files)
        }
        Some(Witness {
            selected: Some(ids),
            ..
        }) => {
            let files = vec![None; ids.len()];
            (ids, files)
        }
        _ => {
            let ids: Vec<String> = String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(str::trim)
                .filter(|l| l.contains("::"))
                .map(String::from)
                .collect();
            let files = vec![None; ids.len()];
            (ids, files)
        }
    };
    // pytest exits 0 only when it selected something.
    if node_ids.is_empty() {
        return Err(CollectErrorKind::NodeIdsUnreadable.into());
    }
    Ok(Some(examples(node_ids, files, &offset, junit)))
}

/// The collected tests from their node ids and, where the witness saw
/// them, their files (absolute, relative); without it, node ids are moved
/// to the working directory by `offset`.
fn examples(
    node_ids: Vec<String>,
    files: Vec<Option<(String, String)>>,
    offset: &PathOffset,
    junit: bool,
) -> Vec<CollectedExample> {
    node_ids
        .into_iter()
        .zip(files)
        .map(|(node_id, file)| {
            let (scope, name) = split_node_id(&node_id);
            let rest = node_id.split_once("::").map_or("", |(_, rest)| rest);
            let (path, file, key) = match file {
                Some((absolute, relative)) => (
                    format!("{relative}::{rest}"),
                    relative,
                    format!("{absolute}::{rest}"),
                ),
                None => {
                    let path = offset
                        .apply(&node_id)
                        .map_or_else(|| node_id.clone(), |p| p.into_owned());
                    let file = path
                        .split_once("::")
                        .map_or(&path[..], |(f, _)| f)
                        .to_string();
                    (path, file, String::new())
                }
            };
            CollectedExample {
                path,
                file,
                key,
                scope: if junit {
                    junit_classname(scope)
                } else {
                    scope.to_string()
                },
                name: name.to_string(),
                node_id,
                history_key: None,
            }
        })
        .collect()
}

/// The command that collects what the test command would run (D13): the
/// test command's own program *and options* (`--doctest-modules`, `-p`,
/// `-o`, a conftest option such as `--all` can all change what is
/// collected), without its placeholders and the option that holds the
/// result path. The targets and `--collect-only -q` follow.
pub(crate) fn collection_command(template: &CommandTemplate) -> Vec<String> {
    let (mut command, rest) = split_program(template);
    let mut rest = rest.iter().peekable();
    while let Some(word) = rest.next() {
        if word.contains(TEST_EXAMPLES) || word.contains(RESULT_PATH) {
            continue;
        }
        // `--json {{resultPath}}`: the option goes with its value.
        if word.starts_with('-') && rest.peek().is_some_and(|next| next.contains(RESULT_PATH)) {
            rest.next();
            continue;
        }
        command.push(word.clone());
    }
    command
}

/// Whether pytest, run with the test command's own program (D13), collects
/// no tests at all from `targets`: its status 5. Anything else, including a
/// failure to start, is "cannot tell" (`false`), so the caller stays red.
pub(crate) fn collects_nothing(
    template: &CommandTemplate,
    result_path: &str,
    targets: &[String],
    child: &CollectionChild,
) -> bool {
    // A target that cannot be passed as one (D24) proves nothing.
    let Ok(mut command) = collect_only(
        template,
        result_path,
        CACHE_SELECTION_OFF,
        targets,
        &child.env,
    ) else {
        return false;
    };
    let _leftover = Leftover::of(template, result_path);
    run_collection(&mut command, child.deadline).is_ok_and(|output| {
        output.status.code() == Some(5) && !collected_then_dropped(&output.stdout)
    })
}

/// Whether pytest's summary says it collected tests although it selected
/// none and deselected none (`1 test collected`, with status 5): a hook
/// dropped them without deselecting them, and they are tests still (D36).
/// Without the witness this line is the only trace; `-qq` hides it.
fn collected_then_dropped(stdout: &[u8]) -> bool {
    String::from_utf8_lossy(stdout).lines().any(|line| {
        let line = line.trim_matches(|c: char| c == '=' || c.is_whitespace());
        line.split_once(' ').is_some_and(|(count, rest)| {
            count.parse::<u64>().is_ok_and(|n| n > 0)
                && (rest.starts_with("test collected") || rest.starts_with("tests collected"))
        })
    })
}

/// The variable through which a collection that runs a `sh -c` script
/// reaches the pytest inside it.
pub(crate) const PYTEST_ADDOPTS: &str = "PYTEST_ADDOPTS";

/// `<prefix> --collect-only -q <options> <targets>` with `env` added and no
/// standard input; each target is passed so that pytest cannot read it as
/// an option or an argument file (D24). A test command that runs a `sh -c`
/// script is run whole instead, targets and all, with the collection's
/// options added to `PYTEST_ADDOPTS`: what the script does before pytest
/// (`cd app`, `export BACKENDS=...`, `. ./env.sh`) changes what pytest
/// collects, so collecting without it could plan fewer tests than run.
fn collect_only(
    template: &CommandTemplate,
    result_path: &str,
    options: &[&str],
    targets: &[String],
    env: &[(String, String)],
) -> Result<Command, TargetError> {
    let targets = target_args(targets, &TargetOrigin::Discovery)?;
    let mut collection: Vec<String> = vec!["--collect-only".into(), "-q".into()];
    collection.extend(options.iter().map(|o| o.to_string()));
    let mut command;
    if template.runs_script() {
        // The run's own result path: the script may put text around it
        // (`--json=../{{resultPath}}`). What the collection writes there is
        // removed after it (see `Leftover`).
        let argv = template.render(&targets, result_path, MissingTests::Append);
        let (program, args) = argv.split_first().expect("a template has a program");
        command = Command::new(program);
        command.args(args);
        let user = env
            .iter()
            .rev()
            .find(|(k, _)| k == PYTEST_ADDOPTS)
            .map(|(_, v)| v.as_str());
        let addopts = match user {
            Some(user) if !user.trim().is_empty() => format!("{user} {}", shell_quote(&collection)),
            _ => shell_quote(&collection),
        };
        command
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env(PYTEST_ADDOPTS, addopts);
    } else {
        let prefix = collection_command(template);
        let (program, args) = prefix.split_first().expect("a prefix has a program");
        command = Command::new(program);
        command
            .args(args)
            .args(&collection)
            .args(targets)
            .envs(env.iter().map(|(k, v)| (k, v)));
    }
    command.stdin(Stdio::null());
    Ok(command)
}

/// The result file a collection through a script writes at the run's
/// result path, removed when the collection is over, unless a file was
/// there before (which is then the user's, and kept); and the directory
/// made for it, when bktec made one.
struct Leftover {
    file: Option<std::path::PathBuf>,
    /// The result file's directory and the highest directory bktec made.
    made_dirs: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Leftover {
    fn of(template: &CommandTemplate, result_path: &str) -> Leftover {
        let path = std::path::PathBuf::from(result_path);
        let ours = template.runs_script()
            && !result_path.is_empty()
            && std::fs::symlink_metadata(&path).is_err();
        // The run makes the result file's directory; the collection comes
        // first, so it makes it too, and takes it away again.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let made_dirs = parent.filter(|p| ours && !p.exists()).and_then(|p| {
            let top = p
                .ancestors()
                .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
                .last()?
                .to_path_buf();
            std::fs::create_dir_all(p).ok()?;
            Some((p.to_path_buf(), top))
        });
        Leftover {
            file: ours.then_some(path),
            made_dirs,
        }
    }
}

impl Drop for Leftover {
    fn drop(&mut self) {
        if let Some(path) = &self.file {
            let _ = std::fs::remove_file(path);
        }
        if let Some((dir, top)) = &self.made_dirs {
            // Only what bktec made, and only while empty: never anything the
            // command left there.
            for dir in dir.ancestors() {
                if std::fs::remove_dir(dir).is_err() || dir == top {
                    break;
                }
            }
        }
    }
}

/// The collection command as a person would type it, for messages.
pub(crate) fn collection_shown(template: &CommandTemplate, result_path: &str) -> String {
    if template.runs_script() {
        let argv = template.render(&[], result_path, MissingTests::Append);
        format!("PYTEST_ADDOPTS='--collect-only -q' {}", shell_quote(&argv))
    } else {
        format!(
            "{} --collect-only -q",
            collection_command(template).join(" ")
        )
    }
}

/// The installed buildkite-test-collector version, asking `python3`, then `python`.
/// The error is `python`'s, the last one asked.
pub(crate) fn collector_version() -> Result<String, CollectorVersionError> {
    const QUERY: &str =
        "import importlib.metadata, sys; print(importlib.metadata.version(sys.argv[1]))";
    let ask = |python: &'static str| match run_probe(Command::new(python).args([
        "-c",
        QUERY,
        "buildkite-test-collector",
    ])) {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(out) => Err(CollectorVersionError::Query {
            python,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        }),
        Err(ProcessError::Spawn { source, .. }) => {
            Err(CollectorVersionError::Start { python, source })
        }
        Err(source) => Err(CollectorVersionError::Stopped { python, source }),
    };
    ask("python3").or_else(|_| ask("python"))
}

/// The pre-flight check of `--tag-filters` (7.6): the collector must be
/// installed and newer than 1.2.0 (PEP 440, D14); bktec exits 1 otherwise.
pub(crate) fn check_tag_filter_support(
    installed: bool,
    version: impl FnOnce() -> Result<String, CollectorVersionError>,
) -> Result<(), PreflightError> {
    if !installed {
        return Err(PreflightError::CollectorMissing);
    }
    let version = version().map_err(|reason| PreflightError::VersionUnknown { reason })?;
    let Ok(parsed) = Version::from_str(&version) else {
        return Err(PreflightError::VersionUnparsable { version });
    };
    // A local build of a release (`1.2.0+local`) is that release, not a
    // newer one.
    if parsed.without_local() <= Version::new([1, 2, 0]) {
        return Err(PreflightError::VersionTooOld { version });
    }
    Ok(())
}

/// What a collection or a listing printed, for its error: each of
/// `outputs` trimmed, the empty ones left out, one after the other.
pub(super) fn printed(outputs: [&[u8]; 2]) -> String {
    outputs
        .iter()
        .map(|bytes| String::from_utf8_lossy(bytes).trim().to_string())
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;

    #[test]
    fn a_collection_that_dropped_its_tests_still_found_tests() {
        assert!(collected_then_dropped(b"\n1 test collected in 0.00s\n"));
        assert!(collected_then_dropped(
            b"========== 3 tests collected in 0.01s ==========\n"
        ));
        assert!(!collected_then_dropped(b"\nno tests collected in 0.00s\n"));
        assert!(!collected_then_dropped(
            b"no tests collected (2 deselected) in 0.00s\n"
        ));
        assert!(!collected_then_dropped(b""));
    }

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn pep440_ordering() {
        assert!(v("1.3.0rc1") > v("1.2.0"));
        assert!(v("1.2.1") > v("1.2.0"));
        assert!(v("1.2") == v("1.2.0") || v("1.2").cmp(&v("1.2.0")) == Ordering::Equal);
        assert!(v("1.2.0") < v("1.2.0.post1"));
        assert!(v("1.2.0.dev1") < v("1.2.0a1"));
        assert!(
            v("1.2.0a1") < v("1.2.0b1")
                && v("1.2.0b1") < v("1.2.0rc1")
                && v("1.2.0rc1") < v("1.2.0")
        );
        assert!(v("v1.10.0") > v("1.9.1"));
        assert!(Version::from_str("banana").is_err());
    }

    #[test]
    fn tag_filter_checks() {
        assert!(check_tag_filter_support(true, || Ok("1.9.1".into())).is_ok());
        assert!(check_tag_filter_support(true, || Ok("1.3.0rc1".into())).is_ok());
        for newer in [
            "1.2.0.post1",
            "1.2.1.dev0",
            "V1.2.1",
            "1!0.1",
            "1.2.1+local",
        ] {
            assert!(
                check_tag_filter_support(true, || Ok(newer.into())).is_ok(),
                "{newer}"
            );
        }
        for older in ["1.2.0+local", "1.2", "1.2.0rc9", "1.1.99", "0!1.2.0"] {
            let err = check_tag_filter_support(true, || Ok(older.into())).unwrap_err();
            assert!(
                matches!(&err, PreflightError::VersionTooOld { version } if version == older),
                "{older}: {err}"
            );
        }
        for bad in ["banana", "1.2.0-", "1..2", ""] {
            let err = check_tag_filter_support(true, || Ok(bad.into())).unwrap_err();
            assert!(
                matches!(&err, PreflightError::VersionUnparsable { version } if version == bad),
                "{bad}: {err}"
            );
        }
        let err = check_tag_filter_support(true, || Ok("1.2.0".into()))
            .unwrap_err()
            .to_string();
        let err: Vec<&str> = err.lines().collect();
        assert!(
            err[0].contains("version 1.2.0 is installed, but version >1.2.0 is required"),
            "{err:?}"
        );
        let err = check_tag_filter_support(false, || unreachable!())
            .unwrap_err()
            .to_string();
        let err: Vec<&str> = err.lines().collect();
        assert_eq!(
            err[0],
            "Error: --tag-filters requires the 'buildkite-test-collector' package."
        );
    }

    #[test]
    fn collection_keeps_the_options_that_change_what_is_collected() {
        let c = |t: &str| collection_command(&CommandTemplate::parse(t).unwrap());
        assert_eq!(
            c("pytest --doctest-modules {{testExamples}} --json={{resultPath}}"),
            ["pytest", "--doctest-modules"]
        );
        assert_eq!(
            c("uv run pytest -p myplugin --all {{testExamples}} --junit-xml {{resultPath}} -x"),
            ["uv", "run", "pytest", "-p", "myplugin", "--all", "-x"]
        );
        assert_eq!(
            c("sh -c 'python -m pytest -o python_functions=check_* {{testExamples}}'"),
            ["python", "-m", "pytest", "-o", "python_functions=check_*"]
        );
    }

    #[test]
    fn program_prefixes() {
        let p = |t: &str| split_program(&CommandTemplate::parse(t).unwrap()).0;
        assert_eq!(
            p("pytest {{testExamples}} --json={{resultPath}}"),
            ["pytest"]
        );
        assert_eq!(
            p("uv run pytest -x {{testExamples}}"),
            ["uv", "run", "pytest"]
        );
        assert_eq!(
            p("python -m pytest {{testExamples}}"),
            ["python", "-m", "pytest"]
        );
        assert_eq!(p(".venv/bin/pytest -q"), [".venv/bin/pytest"]);
        assert_eq!(p("tox -- {{testExamples}}"), ["tox"]);
        // A `sh -c` script: its own program, behind the wrapper before the shell.
        assert_eq!(
            p("sh -c 'pytest {{testExamples}} --json={{resultPath}}'"),
            ["pytest"]
        );
        assert_eq!(
            p("uv run bash -ec 'cd . && python -m pytest {{testExamples}}'"),
            ["uv", "run", "python", "-m", "pytest"]
        );
        assert_eq!(
            p("timeout 600 sh -c '.venv/bin/pytest -q {{testExamples}}'"),
            ["timeout", "600", ".venv/bin/pytest"]
        );
    }
}

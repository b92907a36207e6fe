//! The checks of a run that refuse it before any test runs, and the
//! merged JUnit report it writes at the end (issue 13).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::Context;
use super::error::BktecError;
use crate::cli::UsageError;
use crate::config::resolve::Sourced;
use crate::config::{FileChoice, RunSettings};
use crate::discover::Discovery;
use crate::events::JUnitOut;
use crate::events::RunEvent;
use crate::execute::{check_stale_result, kept_path};
use crate::glob::through_symlinks;
use crate::plan::{TestPlan, plain};
use crate::report::{Reporter, merged_junit};
use crate::results::{ResultFormat, RunResult};

/// Refuses a test command that stops at the first failure when retries
/// are on (see `Framework::fail_fast_options`).
pub(super) fn refuse_fail_fast_with_retries(settings: &RunSettings) -> Result<(), BktecError> {
    let (Some(command), retries @ 1..) = (&settings.test_command, settings.retry.count) else {
        return Ok(());
    };
    let options = settings.runner.framework().fail_fast_options;
    let words = command.value.program_words();
    match fail_fast_option(&words, options) {
        Some(option) => Err(BktecError::Usage(UsageError::FailFastWithRetries {
            option,
            origin: command.origin.describe(),
            retries,
        })),
        None => Ok(()),
    }
}

/// The first of `options` that `words` turn on: as a word (`--bail`), with
/// a value (`--bail=1`, `--bail 1`), or inside an assignment that passes it
/// on (`SPEC_OPTS=--fail-fast`). A value of 0 or `false` turns it off
/// (`--bail=0`, `--max-failures=0`).
fn fail_fast_option(words: &[String], options: &[&str]) -> Option<String> {
    let off = |value: &str| matches!(value, "0" | "false");
    for (at, word) in words.iter().enumerate() {
        // `SPEC_OPTS=--fail-fast -f d`: each part after the `=` is a word.
        let parts: Vec<&str> = match word.split_once('=') {
            Some((name, rest)) if !name.starts_with('-') => rest.split_whitespace().collect(),
            _ => vec![word.as_str()],
        };
        for part in parts {
            for option in options {
                if part == *option {
                    let next = words.get(at + 1).map(String::as_str);
                    if next.is_some_and(off) {
                        continue;
                    }
                    return Some(part.to_string());
                }
                if let Some(value) = part.strip_prefix(option).and_then(|r| r.strip_prefix('='))
                    && !off(value)
                {
                    return Some(part.to_string());
                }
            }
        }
    }
    None
}

/// Refuses a `--junit-out` path that would clobber this run's own result
/// files (the result path, or an attempt's kept copy), or that is not a
/// regular file: a FIFO would block bktec, a directory cannot be written.
pub(super) fn check_junit_out(
    out: &Sourced<PathBuf>,
    result: Option<&Path>,
    retries: u32,
) -> Result<(), BktecError> {
    let refuse = |why: String| {
        Err(BktecError::JUnitOut {
            path: out.value.clone(),
            origin: out.origin.describe(),
            why,
        })
    };
    if let Ok(meta) = std::fs::metadata(&out.value)
        && !meta.is_file()
    {
        return refuse("it is not a regular file".to_string());
    }
    let Some(result) = result else {
        return Ok(());
    };
    // As the kernel would reach them (D35): `sub/link/../r.json` is the
    // link target's sibling, not `sub/r.json`.
    let same = |a: &Path, b: &Path| {
        FileIdentity::of(Path::new("."), a) == FileIdentity::of(Path::new("."), b)
    };
    if same(&out.value, result) {
        return refuse("it is the test command's own result file".to_string());
    }
    if let Some(n) = (0..=retries).find(|&n| same(&out.value, &kept_path(result, n))) {
        return refuse(format!("it is where attempt {n}'s results are kept"));
    }
    Ok(())
}

/// Whether the file at `path` is missing, empty or begins as XML does: a
/// merged report of an earlier run may be replaced, any other file of the
/// project may not (D35).
fn holds_xml_or_nothing(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return true;
    };
    let mut head = Vec::with_capacity(512);
    std::io::Read::read_to_end(&mut std::io::Read::take(file, 512), &mut head)
        .is_ok_and(|_| ResultFormat::JUnitXml.may_begin(&head))
}

/// An output path that is one of the run's inputs (D35): writing it would
/// overwrite, or removing a stale result would delete, what bktec reads.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to write {what} to `{path}` ({origin}): it is {input}, which this run reads; choose another path (D35)",
    path = .path.display()
)]
pub(crate) struct OutputPathError {
    /// What bktec would write there (`the merged JUnit report`).
    what: String,
    /// The output path, as configured.
    path: PathBuf,
    /// Where it was configured, described.
    origin: String,
    /// The input it is, described with where that came from.
    input: String,
}

/// A file as the run would reach it: its device and inode when it exists,
/// else its absolute path with symlinks and `..` resolved as far as they
/// exist (where a write would land).
#[derive(Debug, PartialEq, Eq)]
enum FileIdentity {
    Inode(u64, u64),
    Path(PathBuf),
}

impl FileIdentity {
    /// `path` (relative to `cwd`) as the kernel resolves it: `..` after a
    /// symlinked directory is the link target's parent, so the raw path is
    /// asked first and only what does not exist is cleaned lexically.
    fn of(cwd: &Path, path: &Path) -> FileIdentity {
        let joined = cwd.join(path);
        if let Ok(meta) = std::fs::metadata(&joined) {
            return FileIdentity::Inode(meta.dev(), meta.ino());
        }
        let joined = std::path::absolute(&joined).unwrap_or(joined);
        let landed = landing(&through_symlinks(&joined));
        // `tests/x/../test_c.py`: once `tests/x` is made, that file.
        match std::fs::metadata(&landed) {
            Ok(meta) => FileIdentity::Inode(meta.dev(), meta.ino()),
            Err(_) => FileIdentity::Path(landed),
        }
    }
}

/// Where a file created at `path` lands once `create_dir_all` has made
/// its directory: walked a component at a time as the kernel does, so a
/// symlinked directory is followed before the `..` after it, and `..` out
/// of a directory that does not exist yet (a plain directory once made)
/// goes back to where it was made.
fn landing(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut at = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match std::fs::canonicalize(at.join("..")) {
                Ok(real) => at = real,
                Err(_) => {
                    at.pop();
                }
            },
            Component::Prefix(_) | Component::RootDir | Component::Normal(_) => {
                at.push(part);
                if let Ok(real) = std::fs::canonicalize(&at) {
                    at = real;
                }
            }
        }
    }
    at
}

/// A file the run writes where a user chose (D35).
struct Output {
    /// What bktec writes there (`the merged JUnit report`).
    what: String,
    /// Where, as configured.
    path: PathBuf,
    /// Where that was configured, described.
    origin: String,
    id: FileIdentity,
}

/// The files a run writes where a user chose: `--junit-out`, and
/// `--result-path` with the copies attempts keep beside it (D35).
fn chosen_outputs(settings: &RunSettings, cwd: &Path) -> Vec<Output> {
    let mut outputs = Vec::new();
    let mut add = |what: String, path: PathBuf, origin: String| {
        let id = FileIdentity::of(cwd, &path);
        outputs.push(Output {
            what,
            path,
            origin,
            id,
        });
    };
    if let Some(out) = &settings.junit_out {
        let what = "the merged JUnit report".to_string();
        add(
            what,
            out.value.clone(),
            format!("from {}", out.origin.describe()),
        );
    }
    if let Some(result) = &settings.result_path {
        let origin = result.origin.describe();
        let what = "the test command's result file".to_string();
        add(what, result.value.clone(), format!("from {origin}"));
        for n in 0..=settings.retry.count {
            let kept = kept_path(&result.value, n);
            let beside = format!("kept beside `{}` from {origin}", result.value.display());
            add(format!("attempt {n}'s results"), kept, beside);
        }
    }
    outputs
}

/// Refuses an output path that is a file the run reads (D35): the
/// durations file, the configuration file, a row file or the plan file.
/// Checked before anything runs; the test files follow, once discovery or
/// the plan has named them ([`refuse_outputs_on_targets`]).
pub(super) fn refuse_outputs_on_inputs(
    context: &Context,
    settings: &RunSettings,
) -> Result<(), BktecError> {
    let outputs = chosen_outputs(settings, &context.cwd);
    if outputs.is_empty() {
        return Ok(());
    }
    let mut inputs: Vec<(String, PathBuf)> = Vec::new();
    let mut sourced = |what: &str, input: &Option<Sourced<PathBuf>>| {
        if let Some(input) = input {
            let origin = input.origin.describe();
            let named = format!("{what} `{}` (from {origin})", input.value.display());
            inputs.push((named, input.value.clone()));
        }
    };
    sourced("the durations file", &settings.durations);
    sourced("the files list", &settings.files_list);
    sourced("the selector file", &settings.selector_file);
    sourced("the plan file", &settings.plan_file);
    let config = match &context.choice {
        FileChoice::Explicit(path) => Some(path.clone()),
        FileChoice::Auto => {
            Some(PathBuf::from("bktec.toml")).filter(|p| context.cwd.join(p).is_file())
        }
        FileChoice::Disabled => None,
    };
    if let Some(config) = config {
        inputs.push((
            format!("the configuration file `{}`", config.display()),
            config,
        ));
    }
    let inputs = inputs
        .into_iter()
        .map(|(named, path)| (named, FileIdentity::of(&context.cwd, &path)));
    refuse_overlap(&outputs, inputs)
}

/// Refuses an output path that is a test file of the run (D35): any that
/// discovery found or the plan names, in every job's share, not only this
/// job's; then one that holds another file of the project (`result` is
/// the runner's result file and its format).
pub(super) fn refuse_outputs_on_targets(
    context: &Context,
    (settings, result): (&RunSettings, Option<(&Path, ResultFormat)>),
    discovery: Option<&Discovery>,
    plan: &TestPlan,
) -> Result<(), BktecError> {
    let outputs = chosen_outputs(settings, &context.cwd);
    if outputs.is_empty() {
        return refuse_other_files(settings, result);
    }
    let found = discovery.into_iter().flat_map(|d| d.targets.iter());
    let planned = plan
        .tasks
        .values()
        .flat_map(|task| task.tests.iter().map(|t| &t.path));
    let inputs = found.chain(planned).map(|target| {
        let file = file_of(target);
        let named = format!("the test file `{file}`");
        (named, FileIdentity::of(&context.cwd, Path::new(file)))
    });
    refuse_overlap(&outputs, inputs)?;
    refuse_other_files(settings, result)
}

/// Refuses an output path that holds a file of the project that no run
/// wrote (D35): a stale result file is replaced, `conftest.py` is not.
fn refuse_other_files(
    settings: &RunSettings,
    result: Option<(&Path, ResultFormat)>,
) -> Result<(), BktecError> {
    if let Some(out) = &settings.junit_out
        && !holds_xml_or_nothing(&out.value)
    {
        return Err(BktecError::JUnitOut {
            path: out.value.clone(),
            origin: out.origin.describe(),
            why: "it holds something other than XML, which the report would overwrite (D35)"
                .to_string(),
        });
    }
    if let Some((path, format)) = result {
        check_stale_result(path, format).map_err(|source| BktecError::ResultPath {
            origin: settings.result_path.as_ref().map(|p| p.origin.describe()),
            source,
        })?;
    }
    Ok(())
}

/// The file a target names: itself, or the file of a test in it
/// (`tests/test_a.py::test_x`, `spec/a_spec.rb[1:2]`, `spec/a_spec.rb:12`).
fn file_of(target: &str) -> &str {
    let file = plain(target).split("::").next().unwrap_or(target);
    if let Some((file, _)) = file.split_once('[').filter(|_| file.ends_with(']')) {
        return file;
    }
    match file.rsplit_once(':') {
        Some((file, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => file,
        Some(_) | None => file,
    }
}

/// The first output that is one of `inputs`, as an error.
fn refuse_overlap(
    outputs: &[Output],
    inputs: impl Iterator<Item = (String, FileIdentity)>,
) -> Result<(), BktecError> {
    for (input, id) in inputs {
        if let Some(out) = outputs.iter().find(|out| out.id == id) {
            return Err(BktecError::OutputPath(OutputPathError {
                what: out.what.clone(),
                path: out.path.clone(),
                origin: out.origin.clone(),
                input,
            }));
        }
    }
    Ok(())
}

/// Writes the JUnit report merged over all attempts where `--junit-out`
/// says, if it says (issue 13, item 2).
pub(super) fn write_junit_out(
    settings: &RunSettings,
    record: &RunResult,
    reporter: &mut Reporter,
) -> JUnitOut {
    let Some(out) = &settings.junit_out else {
        return JUnitOut::NotAsked;
    };
    let xml = merged_junit(
        record,
        settings.runner.as_str(),
        settings.runner.names_tests_by_node_id(),
    );
    let written = out
        .value
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| write_regular(&out.value, xml.as_bytes()));
    let status = match &written {
        Ok(()) => JUnitOut::Written,
        Err(_) => JUnitOut::Failed,
    };
    reporter.report(RunEvent::JUnitWritten {
        path: &out.value,
        origin: &out.origin,
        tests: record.results().count(),
        result: written,
    });
    status
}

/// Writes `bytes` to the regular file at `path`, created when missing.
/// What the test command may have put there since the up-front check is
/// refused without blocking: a FIFO with no reader fails to open (the open
/// does not wait), anything that is not a regular file is not written.
fn write_regular(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    file.set_len(0)?;
    file.write_all(bytes)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(command: &str, options: &[&str]) -> Option<String> {
        let words: Vec<String> = command.split(' ').map(String::from).collect();
        fail_fast_option(&words, options)
    }

    #[test]
    fn a_target_names_its_file() {
        for (target, file) in [
            ("tests/test_a.py", "tests/test_a.py"),
            ("./tests/test_a.py::TestX::test_y[1-2]", "tests/test_a.py"),
            ("spec/a_spec.rb[1:2]", "spec/a_spec.rb"),
            ("spec/a_spec.rb:12", "spec/a_spec.rb"),
            ("tests/test_x[1].py", "tests/test_x[1].py"),
            ("features/a.feature:x", "features/a.feature:x"),
        ] {
            assert_eq!(file_of(target), file, "{target}");
        }
    }

    #[test]
    fn a_file_is_itself_through_links_and_dot_dots() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        std::fs::create_dir(cwd.join("tests")).unwrap();
        std::fs::write(cwd.join("tests/test_c.py"), "").unwrap();
        std::os::unix::fs::symlink("tests", cwd.join("link")).unwrap();
        std::fs::hard_link(cwd.join("tests/test_c.py"), cwd.join("hard")).unwrap();
        let id = |p: &str| FileIdentity::of(cwd, Path::new(p));
        let test_c = id("tests/test_c.py");
        for same in ["./tests/x/../test_c.py", "link/test_c.py", "hard"] {
            assert_eq!(id(same), test_c, "{same}");
        }
        assert_ne!(id("tests/test_d.py"), test_c);
        // Not there yet: where a write would land.
        assert_eq!(id("link/new.xml"), id("tests/./new.xml"));
    }

    /// `..` after a symlinked directory is the parent of the link's
    /// target, as the kernel resolves it, not the link's own directory.
    #[test]
    fn dot_dot_after_a_linked_directory_is_the_targets_parent() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        std::fs::create_dir_all(cwd.join("tests")).unwrap();
        std::fs::create_dir_all(cwd.join("sub")).unwrap();
        std::fs::write(cwd.join("tests/test_c.py"), "").unwrap();
        std::fs::write(cwd.join("bktec.toml"), "").unwrap();
        std::os::unix::fs::symlink("../tests", cwd.join("sub/link")).unwrap();
        let id = |p: &str| FileIdentity::of(cwd, Path::new(p));
        // Existing files: `sub/tests/test_c.py` and `sub/bktec.toml` do
        // not exist, lexical cleaning would miss them.
        assert_eq!(id("sub/link/../tests/test_c.py"), id("tests/test_c.py"));
        assert_eq!(id("sub/link/../bktec.toml"), id("bktec.toml"));
        assert_ne!(id("sub/link/../bktec.toml"), id("sub/bktec.toml"));
        // Not there yet: the existing parent resolves as the kernel would.
        assert_eq!(id("sub/link/../p.json"), id("p.json"));
        assert_ne!(id("sub/link/../p.json"), id("sub/p.json"));
        // Below directories that do not exist yet (`create_dir_all` makes
        // them), `..` is lexical; above them the links still count.
        assert_eq!(id("sub/link/../out/x/../r.json"), id("out/r.json"));
        assert_eq!(id("sub/link/../out/r.json"), id("./out/r.json"));
        // Out of a directory not made yet, the links after it still count.
        assert_eq!(id("new/../sub/link/../bktec.toml"), id("bktec.toml"));
        assert_eq!(id("new/../sub/link/../p.json"), id("p.json"));
        assert_eq!(id("tests/new/../test_c.py"), id("tests/test_c.py"));
        // A dangling link lands at its target, through the linked directory.
        std::os::unix::fs::symlink("link/../new.xml", cwd.join("sub/dangling")).unwrap();
        assert_eq!(id("sub/dangling"), id("new.xml"));
        // The same from a relative working directory.
        assert_eq!(
            FileIdentity::of(Path::new("."), &cwd.join("sub/link/../p.json")),
            id("p.json")
        );
    }

    #[test]
    fn fail_fast_options_in_every_spelling_and_off_when_zero() {
        let jest = ["--bail", "-b"];
        assert_eq!(found("npx jest --bail", &jest).as_deref(), Some("--bail"));
        assert_eq!(
            found("npx jest --bail=2", &jest).as_deref(),
            Some("--bail=2")
        );
        assert_eq!(
            found("npx jest --bail 1 x", &jest).as_deref(),
            Some("--bail")
        );
        assert_eq!(found("npx jest -b", &jest).as_deref(), Some("-b"));
        assert_eq!(found("npx jest --bail=0", &jest), None);
        assert_eq!(found("npx jest --bail 0", &jest), None);
        assert_eq!(found("npx jest --bail=false", &jest), None);
        assert_eq!(
            found("npx jest --no-bail --testNamePattern=--bail", &jest),
            None
        );
        let rspec = ["--fail-fast", "--next-failure"];
        assert_eq!(
            found("env SPEC_OPTS=--fail-fast rspec", &rspec).as_deref(),
            Some("--fail-fast")
        );
        assert_eq!(
            found("rspec --next-failure", &rspec).as_deref(),
            Some("--next-failure")
        );
        assert_eq!(found("rspec --no-fail-fast", &rspec), None);
        let playwright = ["--max-failures", "-x"];
        assert_eq!(
            found("npx playwright test --max-failures=0", &playwright),
            None
        );
    }
}

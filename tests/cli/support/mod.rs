//! The `BktecCmd` builder, test directories, Python environments and the
//! Test Engine stand-in.

pub mod pytest;
pub mod runners;
pub mod stand_in;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary directory with helpers to write files into it.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> TestDir {
        TestDir {
            dir: tempfile::Builder::new()
                .prefix("bktec-test-")
                .tempdir()
                .expect("create temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` to `rel`, creating parent directories.
    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent dirs");
        }
        fs::write(&path, content).expect("write file");
        path
    }

    /// A `bktec` command running in this directory.
    pub fn bktec(&self) -> BktecCmd {
        BktecCmd::new(self.path())
    }
}

/// A `bktec` invocation with a clean environment: no ambient `BUILDKITE_*`
/// variable from the developer's shell or CI leaks in.
pub struct BktecCmd {
    args: Vec<OsString>,
    env: BTreeMap<String, String>,
    cwd: PathBuf,
}

impl BktecCmd {
    pub fn new(cwd: &Path) -> BktecCmd {
        let mut env = BTreeMap::new();
        for key in ["PATH", "HOME", "TMPDIR", "LANG"] {
            if let Some(v) = std::env::var_os(key).and_then(|v| v.into_string().ok()) {
                env.insert(key.to_string(), v);
            }
        }
        BktecCmd {
            args: Vec::new(),
            env,
            cwd: cwd.to_path_buf(),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> BktecCmd {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> BktecCmd {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Puts `dir` first on PATH (a venv's `bin`).
    pub fn path_prepend(mut self, dir: &Path) -> BktecCmd {
        let old = self.env.get("PATH").cloned().unwrap_or_default();
        self.env
            .insert("PATH".to_string(), format!("{}:{old}", dir.display()));
        self
    }

    /// Test Engine mode against the stand-in at `url`: a suite, a build, a
    /// step and an access token (no OIDC).
    pub fn test_engine(self, url: &str) -> BktecCmd {
        self.env("BUILDKITE_TEST_ENGINE_SUITE_SLUG", "suite")
            .env("BUILDKITE_ORGANIZATION_SLUG", "acme")
            .env("BUILDKITE_BUILD_ID", "build-1")
            .env("BUILDKITE_STEP_ID", "step-1")
            .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", "token")
            .env("BUILDKITE_TEST_ENGINE_OIDC", "false")
            .env("BUILDKITE_TEST_ENGINE_BASE_URL", url)
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> BktecCmd {
        self.env.insert(key.to_string(), value.into());
        self
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bktec"));
        cmd.args(&self.args)
            .env_clear()
            .envs(&self.env)
            .current_dir(&self.cwd)
            .stdin(Stdio::null());
        cmd
    }

    pub fn output(&self) -> RunOutput {
        let output = self.command().output().expect("run bktec");
        RunOutput { output }
    }
}

/// Runs `job(i)` for i in 0..n at the same time, as the n jobs of one build
/// (`BUILDKITE_PARALLEL_JOB_COUNT` and `BUILDKITE_PARALLEL_JOB` are set),
/// and returns their outputs in job order.
pub fn run_jobs(n: u32, job: impl Fn(u32) -> BktecCmd) -> Vec<RunOutput> {
    let children: Vec<_> = (0..n)
        .map(|i| {
            job(i)
                .env("BUILDKITE_PARALLEL_JOB_COUNT", n.to_string())
                .env("BUILDKITE_PARALLEL_JOB", i.to_string())
                .command()
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start bktec")
        })
        .collect();
    children
        .into_iter()
        .map(|child| RunOutput {
            output: child.wait_with_output().expect("wait for bktec"),
        })
        .collect()
}

/// The output of a finished `bktec`.
pub struct RunOutput {
    pub output: Output,
}

impl RunOutput {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn describe(&self) -> String {
        format!(
            "status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.output.status,
            self.stdout(),
            self.stderr()
        )
    }

    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &RunOutput {
        assert_eq!(
            self.code(),
            Some(code),
            "unexpected exit status\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn assert_success(&self) -> &RunOutput {
        self.assert_exit(0)
    }

    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) -> &RunOutput {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn assert_stdout_contains(&self, needle: &str) -> &RunOutput {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.describe()))
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Which Python environment a test runs pytest from.
#[derive(Clone, Copy, Debug)]
pub enum Venv {
    /// pytest and buildkite-test-collector.
    Collector,
    /// pytest only.
    NoCollector,
    /// pytest and buildkite-test-collector 1.2.0.
    OldCollector,
}

/// The `bin` directory of a Python environment, created on first use by
/// `scripts/python-env.sh` (real pytest and collector from PyPI).
pub fn venv(which: Venv) -> PathBuf {
    static READY: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let ready = READY.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/python-env.sh"))
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    if let Err(err) = ready {
        panic!("could not create the Python environments: {err}");
    }
    let name = match which {
        Venv::Collector => "collector",
        Venv::NoCollector => "no-collector",
        Venv::OldCollector => "old-collector",
    };
    repo_root().join("target/py").join(name).join("bin")
}

/// Copies the directory tree `from` into `to`, leaving out caches.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create copy target");
    for entry in fs::read_dir(from).expect("read source dir") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name();
        if name == "__pycache__" || name == ".pytest_cache" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The lines a Python `script` prints, run by `python` with `args`; the
/// script failing fails the test, with what it wrote to stderr.
#[track_caller]
pub fn python_lines(python: &Path, script: &str, args: &[&Path]) -> Vec<String> {
    let out = Command::new(python)
        .args(["-c", script])
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

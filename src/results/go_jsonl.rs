//! `go test -json` event lines, as `gotestsum --jsonfile` writes them
//! (behaviour document 8.3). A test is named by its package and name, and
//! its path is the package, which is what a retry runs. A failure is sticky
//! (`-count=2` may pass a test that failed). A package that failed without
//! a failed test (a `TestMain` that exits non-zero, a panic in `init`) gets
//! a `TestMain` failure of its own; a package that did not build is a
//! run-level error.
//!
//! A stream cut short proves nothing (D38): a test that started and never
//! ended, or a package with events but no outcome of its own, is a
//! run-level error naming them. A test still running when its package
//! failed (a panic, `-timeout`) is that failure. Go before 1.20 loses a
//! test's `pass` when the test printed no final newline; its `--- PASS`
//! line, glued to that output, still says how it ended.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{Failure, Outcome, ParsedResults, ResultsError, TestResult, seconds};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Event {
    #[serde(default)]
    action: String,
    #[serde(default)]
    package: String,
    #[serde(default)]
    test: Option<String>,
    #[serde(default)]
    elapsed: Option<f64>,
    #[serde(default)]
    output: Option<String>,
    /// Go 1.24 and later: the package whose build failed.
    #[serde(default)]
    failed_build: Option<String>,
}

/// What the events said about one package.
#[derive(Default)]
struct Package {
    failed: bool,
    build_failed: bool,
    any_test_failed: bool,
    /// A test event or the package's `start`: the package began.
    began: bool,
    /// Its own `pass`, `fail` or `skip`: the package ended.
    ended: bool,
}

/// The packages in the order they first appear.
#[derive(Default)]
struct Packages {
    list: Vec<(String, Package)>,
    at: HashMap<String, usize>,
}

impl Packages {
    fn get(&mut self, name: &str) -> &mut Package {
        let i = *self.at.entry(name.to_string()).or_insert_with(|| {
            self.list.push((name.to_string(), Package::default()));
            self.list.len() - 1
        });
        &mut self.list[i].1
    }
}

/// What a test still running when its package's test binary exited (a
/// panic elsewhere, `os.Exit`, `-timeout`) says besides what it printed: the
/// package's later tests never ran, so a retry runs the whole package (D46).
pub const BINARY_EXITED: &str = "the package's test binary exited while this test ran";

/// The marker `go test` prints for a package that did not build.
const BUILD_FAILED: &str = "[build failed]";

/// Parses `go test -json` lines from `bytes` (read from `path`, for messages).
pub fn parse_go_jsonl(bytes: &[u8], path: &Path) -> Result<ParsedResults, ResultsError> {
    let text = String::from_utf8_lossy(bytes);
    let mut read = Read::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('{') {
            // Go before 1.24 prints `FAIL\t<pkg> [build failed]` as plain
            // text; anything else unreadable fails closed.
            if let Some(pkg) = line
                .strip_prefix("FAIL\t")
                .and_then(|rest| rest.strip_suffix(BUILD_FAILED))
            {
                read.raw_build_failures.push(pkg.trim().to_string());
                continue;
            }
        }
        let event: Event = serde_json::from_str(line).map_err(|source| ResultsError::Line {
            path: path.to_path_buf(),
            what: "go test -json",
            line: number + 1,
            source,
        })?;
        read.event(event);
    }
    Ok(read.finish())
}

/// What the events read so far said.
#[derive(Default)]
struct Read {
    /// The tests, in the order they first ended.
    tests: Vec<TestResult>,
    /// Where each (package, test) is in `tests`.
    index: HashMap<(String, String), usize>,
    packages: Packages,
    /// Packages named by Go's plain-text `[build failed]` lines.
    raw_build_failures: Vec<String>,
    /// What each test printed: a failed test's messages are there.
    printed: HashMap<(String, String), String>,
    /// Tests that started and have not ended, in the order they started,
    /// and whether each is paused (`t.Parallel` waiting for its turn).
    running: Vec<((String, String), bool)>,
}

impl Read {
    /// One event: a test or package ends, or prints.
    fn event(&mut self, event: Event) {
        if let Some(pkg) = event.failed_build.as_deref().filter(|p| !p.is_empty()) {
            self.packages.get(pkg).build_failed = true;
        }
        // A package is listed from its first event on, whatever it says.
        let state = self.packages.get(&event.package);
        state.began |= event.test.is_some() || event.action == "start";
        let outcome = match event.action.as_str() {
            "pass" => Outcome::Passed,
            "fail" => Outcome::Failed,
            "skip" => Outcome::Skipped,
            "output" => return self.output(event),
            "run" | "pause" | "cont" => {
                if let Some(test) = event.test {
                    self.started((event.package, test), &event.action);
                }
                return;
            }
            _ => return,
        };
        let Some(name) = event.test else {
            state.failed |= outcome == Outcome::Failed;
            state.ended = true;
            return;
        };
        state.any_test_failed |= outcome == Outcome::Failed;
        let duration = event.elapsed.and_then(seconds);
        let key = (event.package, name);
        self.running.retain(|(running, _)| *running != key);
        self.test_ended(key.0, key.1, outcome, duration);
    }

    /// A test started (`run`), or paused or went on (`t.Parallel`).
    fn started(&mut self, key: (String, String), action: &str) {
        match self.running.iter_mut().find(|(running, _)| *running == key) {
            Some((_, paused)) => *paused = action == "pause",
            None => self.running.push((key, action == "pause")),
        }
    }

    /// Ends the tests that started and never reported an outcome: by the
    /// `--- PASS` line Go before 1.20 glued to their output, or as failed
    /// when their package failed while they ran (a paused one never ran:
    /// it gets no result). What is left, with the packages that never
    /// ended, is the stream cut short: the returned reasons, and those tests
    /// (`package Test`), which were running when the stream ended (D48).
    fn end_running(&mut self) -> (Vec<String>, Vec<String>) {
        let mut cut_short = Vec::new();
        let mut running = Vec::new();
        for ((package, test), paused) in std::mem::take(&mut self.running) {
            let printed = self.printed.get(&(package.clone(), test.clone()));
            let glued = printed.and_then(|text| glued_outcome(text, &test));
            let state = self.packages.get(&package);
            let outcome = match glued {
                Some(outcome) => outcome,
                None if state.ended && state.failed && paused => continue,
                None if state.ended && state.failed => {
                    let printed = self.printed.entry((package.clone(), test.clone()));
                    let printed = printed.or_default();
                    if !printed.is_empty() && !printed.ends_with('\n') {
                        printed.push('\n');
                    }
                    printed.push_str(BINARY_EXITED);
                    printed.push('\n');
                    Outcome::Failed
                }
                None => {
                    cut_short.push(format!(
                        "test `{test}` of package `{package}` started and reported no outcome"
                    ));
                    running.push(format!("{package} {test}"));
                    continue;
                }
            };
            state.any_test_failed |= outcome == Outcome::Failed;
            self.test_ended(package, test, outcome, None);
        }
        for (name, state) in &self.packages.list {
            if state.began && !state.ended && !name.is_empty() {
                cut_short.push(format!("package `{name}` reported no outcome of its own"));
            }
        }
        (cut_short, running)
    }

    /// An `output` event: a test's printed line, or the package's
    /// `[build failed]`.
    fn output(&mut self, event: Event) {
        let Some(output) = event.output else {
            return;
        };
        match event.test {
            Some(test) => self
                .printed
                .entry((event.package, test))
                .or_default()
                .push_str(&output),
            None if output.contains(BUILD_FAILED) => {
                self.packages.get(&event.package).build_failed = true;
            }
            None => {}
        }
    }

    /// Test `name` of `package` ended with `outcome`; a failure is sticky
    /// (`-count=2` may pass a test that failed).
    fn test_ended(
        &mut self,
        package: String,
        name: String,
        outcome: Outcome,
        duration: Option<Duration>,
    ) {
        let key = (package, name);
        if let Some(&i) = self.index.get(&key) {
            let known = &mut self.tests[i];
            if known.outcome != Outcome::Failed {
                known.outcome = outcome;
            }
            known.duration = duration;
            return;
        }
        self.index.insert(key.clone(), self.tests.len());
        let (package, name) = key;
        self.tests.push(TestResult {
            scope: package.clone(),
            name,
            path: package,
            identifier: String::new(),
            outcome,
            duration,
            failure: None,
            output: None,
            location: None,
        });
    }

    /// The results: a `TestMain` failure for each package that failed with
    /// no failed test, the failed tests' messages, the packages that did
    /// not build as the run's error.
    fn finish(mut self) -> ParsedResults {
        let (cut_short, running) = self.end_running();
        let mut build_failures = std::mem::take(&mut self.raw_build_failures);
        for (name, state) in &self.packages.list {
            if state.build_failed {
                build_failures.push(name.clone());
            } else if state.failed && !state.any_test_failed && !name.is_empty() {
                self.tests.push(TestResult {
                    scope: name.clone(),
                    name: "TestMain".to_string(),
                    path: name.clone(),
                    identifier: String::new(),
                    outcome: Outcome::Failed,
                    duration: Some(Duration::ZERO),
                    failure: None,
                    output: None,
                    location: None,
                });
            }
        }
        for test in self
            .tests
            .iter_mut()
            .filter(|t| t.outcome == Outcome::Failed)
        {
            if let Some(text) = self.printed.get(&(test.path.clone(), test.name.clone())) {
                test.failure = Some(go_failure(text));
            }
        }
        build_failures.dedup();
        let mut errors = Vec::new();
        if !build_failures.is_empty() {
            errors.push(format!(
                "go test failed to build {}",
                build_failures.join(", ")
            ));
        }
        if !cut_short.is_empty() {
            errors.push(format!(
                "the go test -json output ends before the run did: {}",
                cut_short.join("; ")
            ));
        }
        ParsedResults {
            tests: self.tests,
            run_error: (!errors.is_empty()).then(|| errors.join("; ")),
            running,
            ..ParsedResults::default()
        }
    }
}

/// How `test` ended by the `--- PASS: <test> (` line in what it printed,
/// which Go before 1.20 does not see when it follows output without a
/// newline (`no newline--- PASS: TestX (0.00s)`).
fn glued_outcome(printed: &str, test: &str) -> Option<Outcome> {
    [
        ("FAIL", Outcome::Failed),
        ("PASS", Outcome::Passed),
        ("SKIP", Outcome::Skipped),
    ]
    .into_iter()
    .find(|(word, _)| printed.contains(&format!("--- {word}: {test} (")))
    .map(|(_, outcome)| outcome)
}

/// A failed test's failure from what it printed: `go test`'s own `=== RUN`
/// and `--- FAIL` lines left out; the message is the first line left.
fn go_failure(printed: &str) -> Failure {
    let details: Vec<&str> = printed
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !(l.starts_with("=== ") || l.starts_with("--- FAIL") || l.starts_with("--- PASS"))
        })
        .collect();
    Failure::from_details(details.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(action: &str, pkg: &str, test: Option<&str>) -> String {
        let mut v = serde_json::json!({"Action": action, "Package": pkg, "Elapsed": 0.5});
        if let Some(t) = test {
            v["Test"] = t.into();
        }
        v.to_string()
    }

    #[test]
    fn tests_subtests_sticky_failures_and_test_main() {
        let text = [
            line("run", "m/a", Some("TestX")),
            line("fail", "m/a", Some("TestX")),
            line("pass", "m/a", Some("TestX")),
            line("pass", "m/a", Some("TestY/sub")),
            line("skip", "m/a", Some("TestZ")),
            line("fail", "m/a", None),
            line("pass", "m/b", Some("TestOK")),
            line("fail", "m/b", None),
        ]
        .join("\n");
        let parsed = parse_go_jsonl(text.as_bytes(), Path::new("r.jsonl")).unwrap();
        let got: Vec<(&str, &str, &Outcome)> = parsed
            .tests
            .iter()
            .map(|t| (t.path.as_str(), t.name.as_str(), &t.outcome))
            .collect();
        assert_eq!(
            got,
            [
                ("m/a", "TestX", &Outcome::Failed),
                ("m/a", "TestY/sub", &Outcome::Passed),
                ("m/a", "TestZ", &Outcome::Skipped),
                ("m/b", "TestOK", &Outcome::Passed),
                ("m/b", "TestMain", &Outcome::Failed),
            ]
        );
        assert_eq!(parsed.run_error, None);
    }

    #[test]
    fn build_failures_are_a_run_error_in_either_spelling() {
        let new = r#"{"Action":"fail","Package":"m/c","FailedBuild":"m/c"}"#;
        let old = "FAIL\tm/d [build failed]";
        let text = format!("{new}\n{old}\n");
        let parsed = parse_go_jsonl(text.as_bytes(), Path::new("r.jsonl")).unwrap();
        assert!(parsed.tests.is_empty());
        assert_eq!(
            parsed.run_error.as_deref(),
            Some("go test failed to build m/d, m/c")
        );
    }

    #[test]
    fn other_text_names_the_line() {
        let text = format!("{}\nnot json\n", line("pass", "m/a", Some("T")));
        let err = parse_go_jsonl(text.as_bytes(), Path::new("r.jsonl")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "result file `r.jsonl` is not valid go test -json output at line 2"
        );
    }

    #[test]
    fn a_failed_test_carries_what_it_printed() {
        let output = |test: &str, text: &str| {
            serde_json::json!({"Action": "output", "Package": "m/a", "Test": test, "Output": text})
                .to_string()
        };
        let text = [
            output("TestX", "=== RUN   TestX\n"),
            output("TestX", "    x_test.go:9: got 8, want 9\n"),
            output("TestX", "--- FAIL: TestX (0.00s)\n"),
            line("fail", "m/a", Some("TestX")),
        ]
        .join("\n");
        let parsed = parse_go_jsonl(text.as_bytes(), Path::new("r.jsonl")).unwrap();
        let failure = parsed.tests[0].failure.as_ref().unwrap();
        assert_eq!(failure.message, "x_test.go:9: got 8, want 9");
    }

    fn output(pkg: &str, test: &str, text: &str) -> String {
        serde_json::json!({"Action": "output", "Package": pkg, "Test": test, "Output": text})
            .to_string()
    }

    fn parsed(lines: &[String]) -> ParsedResults {
        parse_go_jsonl(lines.join("\n").as_bytes(), Path::new("r.jsonl")).unwrap()
    }

    #[test]
    fn a_stream_cut_off_mid_package_is_a_run_error_naming_what_never_ended() {
        let got = parsed(&[
            line("run", "m/a", Some("TestX")),
            line("pass", "m/a", Some("TestX")),
            line("run", "m/a", Some("TestY")),
            line("run", "m/a", Some("TestY/sub")),
            line("pass", "m/b", Some("TestB")),
        ]);
        let names: Vec<&str> = got.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["TestX", "TestB"]);
        assert_eq!(
            got.run_error.as_deref(),
            Some(
                "the go test -json output ends before the run did: \
                 test `TestY` of package `m/a` started and reported no outcome; \
                 test `TestY/sub` of package `m/a` started and reported no outcome; \
                 package `m/a` reported no outcome of its own; \
                 package `m/b` reported no outcome of its own"
            )
        );
    }

    #[test]
    fn a_test_running_when_its_package_failed_is_the_failure() {
        // `-timeout` or a panic: the package fails, the test never ends.
        let got = parsed(&[
            line("run", "m/a", Some("TestWaits")),
            line("pause", "m/a", Some("TestWaits")),
            line("run", "m/a", Some("TestSlow")),
            output("m/a", "TestSlow", "panic: test timed out after 1s\n"),
            line("fail", "m/a", None),
        ]);
        assert_eq!(got.run_error, None);
        let names: Vec<(&str, &Outcome)> = got
            .tests
            .iter()
            .map(|t| (t.name.as_str(), &t.outcome))
            .collect();
        assert_eq!(
            names,
            [("TestSlow", &Outcome::Failed)],
            "no TestMain, and the paused test never ran"
        );
        assert_eq!(
            got.tests[0].failure.as_ref().unwrap().message,
            "panic: test timed out after 1s"
        );
        // An `os.Exit` prints nothing: the note says what happened (D46).
        let got = parsed(&[
            line("run", "m/a", Some("TestExits")),
            output("m/a", "TestExits", "=== RUN   TestExits\n"),
            line("fail", "m/a", None),
        ]);
        let failure = got.tests[0].failure.as_ref().unwrap();
        assert_eq!(failure.message, BINARY_EXITED);
    }

    #[test]
    fn an_outcome_glued_to_output_without_a_newline_still_counts() {
        // Go 1.19 prints `no newline--- PASS: TestGlued (0.00s)` and emits
        // no `pass` event for the test.
        let got = parsed(&[
            line("run", "m/a", Some("TestGlued")),
            output("m/a", "TestGlued", "=== RUN   TestGlued\n"),
            output(
                "m/a",
                "TestGlued",
                "no newline--- SKIP: TestGlued (0.00s)\n",
            ),
            line("pass", "m/a", None),
        ]);
        assert_eq!(got.run_error, None);
        assert_eq!(got.tests[0].outcome, Outcome::Skipped);
        // Without the line, a passed package proves nothing of the test.
        let got = parsed(&[
            line("run", "m/a", Some("TestGone")),
            line("pass", "m/a", None),
        ]);
        assert!(got.tests.is_empty());
        assert!(
            got.run_error
                .unwrap()
                .contains("test `TestGone` of package `m/a`"),
        );
    }

    #[test]
    fn packages_that_ended_or_never_ran_a_test_are_complete() {
        let got = parsed(&[
            r#"{"Action":"start","Package":"m/none"}"#.to_string(),
            r#"{"Action":"output","Package":"m/none","Output":"?   \tm/none\t[no test files]\n"}"#
                .to_string(),
            line("skip", "m/none", None),
            r#"{"Action":"output","Package":"m/quiet","Output":"PASS\n"}"#.to_string(),
            line("run", "m/a", Some("TestX")),
            line("pass", "m/a", Some("TestX")),
            line("run", "m/a", Some("TestX")),
            line("pass", "m/a", Some("TestX")),
            line("pass", "m/a", None),
        ]);
        assert_eq!(got.run_error, None);
        assert_eq!(got.tests.len(), 1);
    }
}

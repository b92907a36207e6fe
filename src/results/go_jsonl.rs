//! `go test -json` event lines, as `gotestsum --jsonfile` writes them
//! (behaviour document 8.3). A test is named by its package and name, and
//! its path is the package, which is what a retry runs. A failure is sticky
//! (`-count=2` may pass a test that failed). A package that failed without
//! a failed test (a `TestMain` that exits non-zero, a panic in `init`) gets
//! a `TestMain` failure of its own; a package that did not build is a
//! run-level error.

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
}

impl Read {
    /// One event: a test or package ends, or prints.
    fn event(&mut self, event: Event) {
        if let Some(pkg) = event.failed_build.as_deref().filter(|p| !p.is_empty()) {
            self.packages.get(pkg).build_failed = true;
        }
        // A package is listed from its first event on, whatever it says.
        self.packages.get(&event.package);
        let outcome = match event.action.as_str() {
            "pass" => Outcome::Passed,
            "fail" => Outcome::Failed,
            "skip" => Outcome::Skipped,
            "output" => return self.output(event),
            _ => return,
        };
        let state = self.packages.get(&event.package);
        let Some(name) = event.test else {
            state.failed |= outcome == Outcome::Failed;
            return;
        };
        state.any_test_failed |= outcome == Outcome::Failed;
        let duration = event.elapsed.and_then(seconds);
        self.test_ended(event.package, name, outcome, duration);
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
        });
    }

    /// The results: a `TestMain` failure for each package that failed with
    /// no failed test, the failed tests' messages, the packages that did
    /// not build as the run's error.
    fn finish(mut self) -> ParsedResults {
        let mut build_failures = self.raw_build_failures;
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
        ParsedResults {
            tests: self.tests,
            run_error: (!build_failures.is_empty())
                .then(|| format!("go test failed to build {}", build_failures.join(", "))),
        }
    }
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
}

//! Timing history for every runner (issue 22, items 3 and 4; D51): a
//! history made by `bktec durations update` of a runner's own result file
//! balances its local plan by time, for RSpec, Jest and Go alike.

use std::fs;

use crate::support::TestDir;
use crate::support::runners::{bktec, example};

/// How long each target's one test sleeps, in tenths of a second. Sorted
/// round-robin over two jobs would give the first job 1.5 s of 2.0 s.
const SLEEPS: [(&str, u32); 6] = [("a", 6), ("b", 1), ("c", 5), ("d", 1), ("e", 4), ("f", 3)];

/// Runs the project's tests once, keeps their durations with `durations
/// update` of the result file, and returns the plan's "Slowest job" ratio
/// over two jobs, and the history.
fn ratio_from_own_history(dir: &TestDir, result: &str, tests: usize) -> (f64, String) {
    bktec(dir)
        .args(["run", "--result-path", result])
        .output()
        .assert_success();
    bktec(dir)
        .args(["durations", "update", result])
        .output()
        .assert_success()
        .assert_stderr_contains(&format!("Stored the durations of {tests} tests"));
    let history = fs::read_to_string(dir.path().join(".test_durations")).unwrap();
    let out = bktec(dir)
        .args(["plan", "--explain", "--parallelism", "2"])
        .output();
    out.assert_success();
    let stdout = out.stdout();
    assert!(
        stdout.contains("Planning by the timing history")
            || out.stderr().contains("Planning by the timing history"),
        "{stdout}{}",
        out.stderr()
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Slowest job: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let ratio: f64 = line
        .rsplit_once(", ")
        .and_then(|(_, r)| r.split_once('x'))
        .map(|(r, _)| r.parse().unwrap())
        .unwrap();
    (ratio, history)
}

fn assert_balanced(ratio: f64, history: &str, keys: &[String]) {
    for key in keys {
        assert!(history.contains(key), "no `{key}` in\n{history}");
    }
    assert!(
        ratio <= 1.10,
        "the plan is {ratio}x the lower bound:\n{history}"
    );
}

#[test]
fn rspec_plans_by_its_own_history() {
    let dir = example("rspec", "rspec");
    fs::remove_dir_all(dir.path().join("spec/shop")).unwrap();
    fs::remove_file(dir.path().join("spec/stock_spec.rb")).unwrap();
    for (name, tenths) in SLEEPS {
        dir.write(
            &format!("spec/{name}_spec.rb"),
            &format!("RSpec.describe \"{name}\" do\n  it \"sleeps\" do\n    sleep {tenths}.0 / 10\n  end\nend\n"),
        );
    }
    let (ratio, history) = ratio_from_own_history(&dir, "tmp/r.json", 6);
    let keys: Vec<String> = SLEEPS
        .iter()
        .map(|(n, _)| format!("\"spec/{n}_spec.rb::{n} sleeps\""))
        .collect();
    assert_balanced(ratio, &history, &keys);
}

#[test]
fn jest_plans_by_its_own_history() {
    let dir = example("jest", "jest");
    fs::remove_dir_all(dir.path().join("src")).unwrap();
    fs::remove_dir_all(dir.path().join("__tests__")).unwrap();
    for (name, tenths) in SLEEPS {
        dir.write(
            &format!("src/{name}.test.js"),
            &format!(
                "test(\"sleeps\", () => new Promise((done) => setTimeout(done, {})));\n",
                tenths * 100
            ),
        );
    }
    let (ratio, history) = ratio_from_own_history(&dir, "tmp/r.json", 6);
    let keys: Vec<String> = SLEEPS
        .iter()
        .map(|(n, _)| format!("\"src/{n}.test.js::sleeps\""))
        .collect();
    assert_balanced(ratio, &history, &keys);
}

#[test]
fn go_plans_by_its_own_history() {
    let dir = example("gotest", "go");
    for package in ["cart", "checkout", "stock", "demo"] {
        fs::remove_dir_all(dir.path().join(package)).unwrap();
    }
    for (name, tenths) in SLEEPS {
        dir.write(
            &format!("{name}/{name}_test.go"),
            &format!(
                "package {name}\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestSleeps(t *testing.T) {{\n\ttime.Sleep({tenths}00 * time.Millisecond)\n}}\n"
            ),
        );
    }
    let (ratio, history) = ratio_from_own_history(&dir, "tmp/r.jsonl", 6);
    let keys: Vec<String> = SLEEPS
        .iter()
        .map(|(n, _)| format!("\"example.com/shop/{n}::TestSleeps\""))
        .collect();
    assert_balanced(ratio, &history, &keys);
}

/// D51: an RSpec file longer than its fair share is split into its
/// examples by RSpec's own listing, weighed by their history, and the two
/// jobs run every example exactly once.
#[test]
fn a_slow_rspec_file_is_split_by_example_and_every_example_runs_once() {
    let dir = example("rspec", "rspec");
    fs::remove_dir_all(dir.path().join("spec/shop")).unwrap();
    fs::remove_file(dir.path().join("spec/stock_spec.rb")).unwrap();
    let slow: String = (1..=4)
        .map(|i| format!("  it \"waits {i}\" do\n    sleep 0.4\n  end\n"))
        .collect();
    dir.write(
        "spec/slow_spec.rb",
        &format!("RSpec.describe \"Slow\" do\n{slow}end\n"),
    );
    for name in ["a", "b", "c", "d"] {
        dir.write(
            &format!("spec/{name}_spec.rb"),
            &format!(
                "RSpec.describe \"{name}\" do\n  it \"is quick\" do\n    sleep 0.1\n  end\nend\n"
            ),
        );
    }
    let (ratio, history) = ratio_from_own_history(&dir, "tmp/r.json", 8);
    assert!(
        history.contains("\"spec/slow_spec.rb::Slow waits 3\""),
        "{history}"
    );
    assert!(ratio <= 1.10, "{ratio}");
    let out = bktec(&dir)
        .args(["plan", "--plan-out", "-", "--parallelism", "2"])
        .output();
    out.assert_success();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    let paths: Vec<String> = plan["tasks"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|t| t["tests"].as_array().unwrap().clone())
        .map(|t| t["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        paths
            .iter()
            .filter(|p| p.starts_with("./spec/slow_spec.rb["))
            .count()
            == 4,
        "the slow file is split into its four examples: {paths:?}"
    );
    // Both jobs, one after another: each example exactly once.
    let mut ran = Vec::new();
    for job in ["0", "1"] {
        let result = format!("tmp/job-{job}.json");
        bktec(&dir)
            .env("BUILDKITE_PARALLEL_JOB", job)
            .env("BUILDKITE_PARALLEL_JOB_COUNT", "2")
            .args(["run", "--result-path", &result])
            .output()
            .assert_success();
        let report: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.path().join(&result)).unwrap()).unwrap();
        for example in report["examples"].as_array().unwrap() {
            ran.push(example["full_description"].as_str().unwrap().to_string());
        }
    }
    ran.sort();
    assert_eq!(
        ran,
        [
            "Slow waits 1",
            "Slow waits 2",
            "Slow waits 3",
            "Slow waits 4",
            "a is quick",
            "b is quick",
            "c is quick",
            "d is quick"
        ]
    );
}

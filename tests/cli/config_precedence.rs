//! The precedence matrix (D2) and origins (D4), observed through `bktec config --json`.

use serde_json::{Value, json};

use crate::support::TestDir;

fn entry(config: &Value, key: &str) -> (Value, String) {
    let e = config["settings"]
        .as_array()
        .expect("settings array")
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no entry for {key}"));
    (
        e["value"].clone(),
        e["origin"].as_str().expect("origin").to_string(),
    )
}

/// Runs `bktec config --json` in `dir` with the given file, env and flags.
fn config(dir: &TestDir, env: &[(&str, &str)], flags: &[&str]) -> Value {
    let mut cmd = dir
        .bktec()
        .arg("config")
        .arg("--json")
        .args(flags.iter().copied());
    for (k, v) in env {
        cmd = cmd.env(k, *v);
    }
    let out = cmd.output();
    out.json()
}

/// One setting set in every layer: its key, its line in bktec.toml, its
/// variable and flag, and the value `bktec config` shows from each layer.
struct Case {
    key: &'static str,
    toml: &'static str,
    env: (&'static str, &'static str),
    flag: &'static [&'static str],
    default: Value,
    file: Value,
    env_value: Value,
    flag_value: Value,
    flag_origin: &'static str,
}

/// The settings of the precedence matrix, one of each kind of value.
fn precedence_cases() -> Vec<Case> {
    vec![
        Case {
            key: "retry.count",
            toml: "[retry]\ncount = 2\n",
            env: ("BUILDKITE_TEST_ENGINE_RETRY_COUNT", "3"),
            flag: &["--test-engine-retry-count", "4"],
            default: json!(0),
            file: json!(2),
            env_value: json!(3),
            flag_value: json!(4),
            flag_origin: "--test-engine-retry-count",
        },
        Case {
            key: "runner.name",
            toml: "[runner]\nname = \"rspec\"\n",
            env: ("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "jest"),
            flag: &["--test-runner", "pytest"],
            default: Value::Null,
            file: json!("rspec"),
            env_value: json!("jest"),
            flag_value: json!("pytest"),
            flag_origin: "--test-runner",
        },
        Case {
            key: "test-engine.oidc",
            toml: "[test-engine]\noidc = false\n",
            env: ("BUILDKITE_TEST_ENGINE_OIDC", "true"),
            flag: &["--no-oidc"],
            default: json!(true),
            file: json!(false),
            env_value: json!(true),
            flag_value: json!(false),
            flag_origin: "--no-oidc",
        },
        Case {
            key: "test-engine.oidc-lifetime",
            toml: "[test-engine]\noidc-lifetime = \"30m\"\n",
            env: ("BUILDKITE_TEST_ENGINE_OIDC_LIFETIME", "90s"),
            flag: &["--oidc-lifetime=1h"],
            default: json!("2h0m0s"),
            file: json!("30m0s"),
            env_value: json!("1m30s"),
            flag_value: json!("1h0m0s"),
            flag_origin: "--oidc-lifetime",
        },
        Case {
            key: "debug",
            toml: "debug = true\n",
            env: ("BUILDKITE_TEST_ENGINE_DEBUG_ENABLED", "false"),
            flag: &["--debug"],
            default: json!(false),
            file: json!(true),
            env_value: json!(false),
            flag_value: json!(true),
            flag_origin: "--debug",
        },
        Case {
            key: "test-engine.upload-tags",
            toml: "[test-engine]\nupload-tags = [\"team=web\"]\n",
            env: ("BUILDKITE_TEST_ENGINE_TAGS", "team=api,os=linux"),
            flag: &["--tag", "team=ops", "--tag", "os=mac"],
            default: Value::Null,
            file: json!(["team=web"]),
            env_value: json!(["team=api", "os=linux"]),
            flag_value: json!(["team=ops", "os=mac"]),
            flag_origin: "--tag",
        },
    ]
}

/// `case`'s value from the default, then each layer above it in turn.
fn check_layers(case: &Case) {
    let dir = TestDir::new();
    let (v, o) = entry(&config(&dir, &[], &[]), case.key);
    assert_eq!(
        (v, o.as_str()),
        (
            case.default.clone(),
            if case.default.is_null() {
                "not set"
            } else {
                "built-in default"
            }
        ),
        "{} default",
        case.key
    );

    dir.write("bktec.toml", case.toml);
    let (v, o) = entry(&config(&dir, &[], &[]), case.key);
    let line = case.toml.lines().position(|l| !l.starts_with('[')).unwrap() + 1;
    assert_eq!(
        (v, o),
        (case.file.clone(), format!("bktec.toml:{line}")),
        "{} file",
        case.key
    );

    let (v, o) = entry(&config(&dir, &[case.env], &[]), case.key);
    assert_eq!(
        (v, o),
        (case.env_value.clone(), format!("env {}", case.env.0)),
        "{} env",
        case.key
    );

    let (v, o) = entry(&config(&dir, &[case.env], case.flag), case.key);
    assert_eq!(
        (v, o.as_str()),
        (case.flag_value.clone(), case.flag_origin),
        "{} flag",
        case.key
    );
}

#[test]
fn each_layer_overrides_the_one_below() {
    for case in precedence_cases() {
        check_layers(&case);
    }
}

#[test]
fn job_context_comes_from_env_and_flags() {
    let dir = TestDir::new();
    let c = config(&dir, &[("BUILDKITE_PARALLEL_JOB_COUNT", "4")], &[]);
    assert_eq!(
        entry(&c, "buildkite.parallelism"),
        (json!(4), "env BUILDKITE_PARALLEL_JOB_COUNT".into())
    );
    let c = config(
        &dir,
        &[("BUILDKITE_PARALLEL_JOB_COUNT", "4")],
        &["--parallelism", "6"],
    );
    assert_eq!(
        entry(&c, "buildkite.parallelism"),
        (json!(6), "--parallelism".into())
    );
    // An empty integer variable keeps the default (behaviour document 1.3).
    let c = config(&dir, &[("BUILDKITE_PARALLEL_JOB_COUNT", "")], &[]);
    assert_eq!(
        entry(&c, "buildkite.parallelism"),
        (json!(1), "built-in default".into())
    );
}

#[test]
fn runner_default_pattern_is_shown_with_its_origin() {
    let dir = TestDir::new();
    let c = config(
        &dir,
        &[("BUILDKITE_TEST_ENGINE_TEST_RUNNER", "pytest")],
        &[],
    );
    assert_eq!(
        entry(&c, "files.pattern"),
        (
            json!("**/{*_test,test_*}.py"),
            "default for runner `pytest`".into()
        )
    );
}

#[test]
fn json_entries_have_the_documented_shape() {
    let dir = TestDir::new();
    let c = config(&dir, &[], &[]);
    let settings = c["settings"].as_array().unwrap();
    assert!(settings.len() > 30);
    for e in settings {
        let obj = e.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["env", "flag", "key", "origin", "overrides", "value"]);
    }
    let retry = settings.iter().find(|e| e["key"] == "retry.count").unwrap();
    assert_eq!(retry["env"], "BUILDKITE_TEST_ENGINE_RETRY_COUNT");
    assert_eq!(retry["flag"], "--test-engine-retry-count");
}

#[test]
fn explicit_config_file_and_no_config() {
    let dir = TestDir::new();
    dir.write("bktec.toml", "[retry]\ncount = 1\n");
    dir.write("ci/other.toml", "[retry]\ncount = 5\n");
    let c = config(&dir, &[], &["--config", "ci/other.toml"]);
    assert_eq!(
        entry(&c, "retry.count"),
        (json!(5), "ci/other.toml:2".into())
    );
    let c = config(
        &dir,
        &[("BUILDKITE_TEST_ENGINE_CONFIG", "ci/other.toml")],
        &[],
    );
    assert_eq!(
        entry(&c, "retry.count"),
        (json!(5), "ci/other.toml:2".into())
    );
    let c = config(&dir, &[], &["--no-config"]);
    assert_eq!(
        entry(&c, "retry.count"),
        (json!(0), "built-in default".into())
    );
}

#[test]
fn secrets_never_appear_in_output() {
    let dir = TestDir::new();
    let secret = "bkua_verysecret123";
    for json in [true, false] {
        let mut cmd = dir
            .bktec()
            .arg("--debug")
            .arg("config")
            .env("BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN", secret)
            .env("BUILDKITE_ANALYTICS_TOKEN", "analytics_secret456");
        if json {
            cmd = cmd.arg("--json");
        }
        let out = cmd.output();
        let all = format!("{}{}", out.stdout(), out.stderr());
        assert!(!all.contains("verysecret"), "{all}");
        assert!(!all.contains("secret456"), "{all}");
        assert!(all.contains("REDACTED"), "{all}");
    }
    // Nor in errors: an invalid run with a token set.
    let out = dir
        .bktec()
        .args(["run", "--access-token", secret, "--suite-slug", "web"])
        .output();
    out.assert_exit(16);
    assert!(!out.stderr().contains("verysecret") && !out.stdout().contains("verysecret"));
}

#[test]
fn relative_paths_in_a_file_resolve_against_its_directory() {
    let dir = TestDir::new();
    dir.write("ci/bktec.toml", "[runner]\nname = \"custom\"\ntest-command = \"true\"\n[files]\nselector-file = \"selectors.txt\"\n");
    // The value as written is shown; resolution against the file's directory
    // is checked by the run and list tests of later stages.
    let c = config(&dir, &[], &["--config", "ci/bktec.toml"]);
    assert_eq!(
        entry(&c, "files.selector-file"),
        (json!("selectors.txt"), "ci/bktec.toml:5".into())
    );
}

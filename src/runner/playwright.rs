//! Playwright (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2, 13.1). bktec
//! points Playwright's JSON reporter at the result path
//! (`PLAYWRIGHT_JSON_OUTPUT_FILE`, which wins over the reporter's own
//! `outputFile` since Playwright 1.44, and `PLAYWRIGHT_JSON_OUTPUT_NAME` for
//! the versions before); the project's configuration or the command must
//! enable that reporter (D46). Playwright reads each file argument as a regular
//! expression, so `cart.spec.ts` would also run `old/cart.spec.ts` and a
//! `[` in a name would break it: bktec passes each file as `/…/`, an
//! expression that matches exactly that path, with `:line` after it on a
//! retry, which runs the failed specs by their `file:line`. With
//! `--split-by-example`, `--list` lists the specs of the files Test Engine
//! splits (6.4).

use std::path::Path;

use super::RunnerKind;
use super::detect;
use crate::config::elements::RunnerRules;
use super::jest::regex_escape;
use super::framework::{
    Detect, ExampleListing, Framework, History, Init, Listing, Roster, key_by_file,
};
use super::listing::list_results;
use super::pytest_collect::CollectError;
use super::setup::{Prepared, ResultFile, Runner, RunnerError, RunnerInputs};
use super::target::{TargetError, TargetProblem};
use crate::results::{Mapping, ResultFormat, TestResult};

const COMMAND: &str = "npx playwright test";

/// The variable Playwright's JSON reporter reads its output file from
/// before its own `outputFile` (Playwright 1.44 and later).
const JSON_OUTPUT_FILE: &str = "PLAYWRIGHT_JSON_OUTPUT_FILE";

/// The variable Playwright's JSON reporter reads its output file's name
/// from, after its own `outputFile`: all Playwright versions.
const JSON_OUTPUT: &str = "PLAYWRIGHT_JSON_OUTPUT_NAME";

/// What `bktec init` and the missing-result hint say of Playwright's
/// results (D46).
const RESULTS_NOTE: &str = "Playwright writes its results with its `json` reporter, which bktec points at the result path (PLAYWRIGHT_JSON_OUTPUT_FILE and PLAYWRIGHT_JSON_OUTPUT_NAME): enable it in the Playwright configuration (`reporter: [[\"list\"], [\"json\"]]`) or add `--reporter=list,json` to the test command. Before Playwright 1.44, an `outputFile` of the json reporter's own wins over the result path: leave it out.";

/// The variables that point Playwright's JSON reporter at `path`.
fn json_output(path: &Path) -> Vec<(String, String)> {
    let path = path.display().to_string();
    vec![
        (JSON_OUTPUT_FILE.to_string(), path.clone()),
        (JSON_OUTPUT.to_string(), path),
    ]
}

/// What bktec knows about Playwright.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "Playwright",
    rules: RunnerRules::walking("**/{*.spec,*.test}.{ts,js}", |_| (COMMAND, "")),
    skips_hidden_and_venv_dirs: false,
    node_ids: false,
    announces_result_format: false,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &["--max-failures", "-x"],
    example_listing: Some(ExampleListing {
        tool: "playwright test --list",
        // 6.1: Test Engine cannot skip Playwright tests, so files are split
        // only with `--split-by-example`.
        skips: false,
        command: list,
        format: ResultFormat::PlaywrightJson,
    }),
    roster: Some(Roster {
        tool: ROSTER_TOOL,
        list: roster,
        key: spec_key,
        through_command: true,
    }),
    history: Some(History {
        format: ResultFormat::PlaywrightJson,
        key: key_by_file,
    }),
    build: Some(|inputs, _probe| playwright(inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 0,
            finds: detect::playwright_project,
        }),
        result_path: "tmp/bktec-results.json",
        results_note: Some(RESULTS_NOTE),
    },
};

/// Builds the Playwright runner. Validation has made sure of a result path.
fn playwright(inputs: RunnerInputs<'_>) -> Result<Runner, RunnerError> {
    let (test, retry) = inputs.commands(COMMAND)?;
    // Playwright resolves a relative output name against its configuration
    // file's directory, which need not be the working directory.
    let result = inputs.result_path.map(|path| ResultFile {
        path: std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf()),
        format: ResultFormat::PlaywrightJson,
    });
    let env = result
        .iter()
        .flat_map(|r| json_output(&r.path))
        .collect();
    Ok(Runner {
        result,
        prepare: exact_files,
        env,
        ..Runner::new(RunnerKind::Playwright, test, retry)
    })
}

/// 6.4: the test command with the files, listing its specs as JSON into
/// `out` instead of running them.
/// Options that narrow a run to a part of what its files hold, by the
/// build (`--shard`), the last run (`--last-failed`) or git
/// (`--only-changed`): a listing leaves them out, so the tests they hide
/// are named (D37).
const NARROWING: [&str; 3] = ["--shard", "--last-failed", "--only-changed"];

/// `argv` without the [`NARROWING`] options (`--shard=1/2`, `--shard 1/2`).
fn unnarrowed(argv: Vec<String>) -> Vec<String> {
    let mut kept = Vec::with_capacity(argv.len());
    let mut words = argv.into_iter();
    while let Some(word) = words.next() {
        let (name, inline) = match word.split_once('=') {
            Some((name, _)) => (name, true),
            None => (word.as_str(), false),
        };
        if !NARROWING.contains(&name) {
            kept.push(word);
        } else if name == "--shard" && !inline {
            // Its value is the next word.
            words.next();
        }
    }
    kept
}

fn list(runner: &Runner, files: &[String], out: &Path) -> Result<Listing, TargetError> {
    let mut argv = unnarrowed(runner.argv(files, 0)?);
    argv.extend(["--list".to_string(), "--reporter=json".to_string()]);
    Ok(Listing {
        argv,
        env: json_output(out),
    })
}

/// The listing that proves per test what ran (D37).
const ROSTER_TOOL: &str = "playwright test --list";

/// The names of the configuration file Playwright looks for.
const CONFIG_NAMES: [&str; 6] = [
    "playwright.config.ts",
    "playwright.config.js",
    "playwright.config.mts",
    "playwright.config.mjs",
    "playwright.config.cts",
    "playwright.config.cjs",
];

/// D37: every spec of the files, listed with the project's configuration
/// but without its `grep` (top-level or per project) and `shard`, which hide
/// tests from the run and from a plain listing alike, and without the
/// command's narrowing options; `--list` also ignores `test.only`. The
/// command's own `--grep` and the configuration's `grepInvert` are the
/// user's choice and stay.
fn roster(runner: &Runner, files: &[String]) -> Result<Vec<String>, CollectError> {
    let argv = runner
        .argv(files, 0)
        .map_err(|err| CollectError::target(ROSTER_TOOL, err))?;
    let unfiltered = match config_file(&argv) {
        Some(config) => Some(
            UnfilteredConfig::beside(&config)
                .map_err(|err| CollectError::start(ROSTER_TOOL, "a listing configuration", err))?,
        ),
        None => None,
    };
    let tests = list_results(runner, ROSTER_TOOL, ResultFormat::PlaywrightJson, files, |out| {
        let mut listing = list(runner, files, out)?;
        if let Some(unfiltered) = &unfiltered {
            listing.argv.push(format!("--config={}", unfiltered.path.display()));
        }
        Ok(listing)
    })?;
    Ok(tests.iter().filter_map(spec_key).collect())
}

/// The name under which a spec's result in one project answers for the
/// listed spec in that project: its `file:line` and its title path (D39:
/// project, file, `describe`s and title; specs made in a loop share a
/// line), so a spec that one project hides is named.
fn spec_key(test: &TestResult) -> Option<String> {
    Some(format!("{} › {}", test.path, test.label()))
}

/// The configuration file the command uses: `--config`/`-c` (a file, or a
/// directory holding one), else one in the working directory.
fn config_file(argv: &[String]) -> Option<std::path::PathBuf> {
    let mut given = None;
    let mut words = argv.iter();
    while let Some(word) = words.next() {
        if word == "-c" || word == "--config" {
            given = words.next().cloned();
        } else if let Some(value) = word.strip_prefix("--config=") {
            given = Some(value.to_string());
        }
    }
    let place = std::path::PathBuf::from(given.unwrap_or_else(|| ".".to_string()));
    if place.is_file() {
        return Some(place);
    }
    CONFIG_NAMES
        .iter()
        .map(|name| place.join(name))
        .find(|path| path.is_file())
}

/// A configuration written beside the project's that loads it and drops
/// its `grep`, removed when dropped. It lives beside the original so that
/// the paths in it resolve as they do for the run.
struct UnfilteredConfig {
    path: std::path::PathBuf,
}

impl UnfilteredConfig {
    fn beside(config: &Path) -> std::io::Result<UnfilteredConfig> {
        let name = config
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = config.parent().unwrap_or(Path::new("."));
        let path = dir.join(format!(".bktec-roster-{}.config.ts", std::process::id()));
        let source = format!(
            "// Written by bktec for one listing (D37) and removed after it.\n\
             import * as loaded from {import};\n\
             const user: any = (loaded as any).default ?? loaded;\n\
             const open = (config: any) => {{ const {{ grep, ...rest }} = config ?? {{}}; return rest; }};\n\
             export default {{ ...open(user), shard: null, projects: user?.projects?.map(open) }};\n",
            import = serde_json::to_string(&format!("./{name}")).expect("a string serializes"),
        );
        std::fs::write(&path, source)?;
        Ok(UnfilteredConfig { path })
    }
}

impl Drop for UnfilteredConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Each test (`file` or `file:line`) as the expression that matches exactly
/// that file, from any directory Playwright names it by, with its line. A
/// spec that failed in several projects is named once: Playwright runs it
/// in every project (D39).
fn exact_files(mut tests: Vec<String>, _retry: bool) -> Result<Prepared, (String, TargetProblem)> {
    let mut seen = std::collections::HashSet::new();
    tests.retain(|test| seen.insert(test.clone()));
    let tests = tests
        .into_iter()
        .map(|test| {
            let (file, line) = match test.rsplit_once(':') {
                Some((file, line))
                    if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    (file.to_string(), Some(line.to_string()))
                }
                Some(_) | None => (test, None),
            };
            let file = file.strip_prefix("./").unwrap_or(&file);
            let anchor = if Path::new(file).is_absolute() {
                "^"
            } else {
                "(?:^|/)"
            };
            let expression = format!("/{}{}$/", anchor.replace('/', "\\/"), regex_escape(file));
            match line {
                Some(line) => format!("{expression}:{line}"),
                None => expression,
            }
        })
        .collect();
    Ok(Prepared {
        tests,
        name_pattern: None,
    })
}

/// The plain `file` or `file:line` of an exact expression
/// [`exact_files`] made, for a line a person pastes (issue 21 item 4):
/// `None` when the word is not one, or when its file holds a character a
/// regular expression reads otherwise (but `.`, which matches itself too).
pub(super) fn plain_target(word: &str) -> Option<String> {
    let (expression, line) = match word.rsplit_once("$/:") {
        Some((expression, line)) => (expression, Some(line)),
        None => (word.strip_suffix("$/")?, None),
    };
    let escaped = expression.strip_prefix("/(?:^|\\/)")?;
    let mut file = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        file.push(if c == '\\' { chars.next()? } else { c });
    }
    let plain = file
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    match line {
        _ if !plain || file.starts_with('-') => None,
        Some(line) => Some(format!("{file}:{line}")),
        None => Some(file),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_expressions_read_back_as_plain_files() {
        let prepared = exact_files(
            vec!["tests/cart.spec.ts:12".into(), "a[1].spec.ts".into()],
            true,
        )
        .unwrap();
        let plain: Vec<Option<String>> =
            prepared.tests.iter().map(|w| plain_target(w)).collect();
        assert_eq!(plain, [Some("tests/cart.spec.ts:12".to_string()), None]);
        assert_eq!(plain_target("--headed"), None);
    }

    #[test]
    fn files_become_exact_expressions_and_retries_keep_their_line() {
        let inputs = RunnerInputs {
            result_path: Some(Path::new("out/r.json")),
            ..RunnerInputs::default()
        };
        let r = playwright(inputs).unwrap();
        assert_eq!(
            r.argv(&["e2e/[id].spec.ts".into(), "-t.spec.js".into()], 0)
                .unwrap(),
            [
                "npx",
                "playwright",
                "test",
                r"/(?:^|\/)e2e\/\[id\]\.spec\.ts$/",
                r"/(?:^|\/)-t\.spec\.js$/"
            ]
        );
        assert_eq!(
            r.argv(&["e2e/a.spec.ts:12".into()], 1).unwrap()[3],
            r"/(?:^|\/)e2e\/a\.spec\.ts$/:12"
        );
        // D39: a spec that failed in two projects is retried once.
        let retry = r
            .argv(&["e2e/a.spec.ts:12".into(), "e2e/a.spec.ts:12".into()], 1)
            .unwrap();
        assert_eq!(retry.len(), 4);
        let env = r.attempt_env(0);
        // D46: the file variable wins over the reporter's own `outputFile`.
        let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, [JSON_OUTPUT_FILE, JSON_OUTPUT]);
        assert!(Path::new(&env[0].1).is_absolute());
        assert!(env[0].1.ends_with("out/r.json"));
        assert_eq!(env[0].1, env[1].1);
    }
}

//! D27: no input to the configuration pipeline can panic. Every setting of the
//! registry is fed arbitrary text from every layer (environment, flag,
//! `bktec.toml`), through the real command-line parser, `load` and `resolve`,
//! for every command; the pipeline must answer with settings or a
//! configuration error (exit 16), and settings it accepts are in range.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use proptest::prelude::*;

use crate::cli::{self, Command, Parsed};
use crate::config::elements::RunnerFacts;
use crate::config::env_vars::EnvSnapshot;
use crate::config::error::ConfigError;
use crate::config::load::{CliOverrides, FileChoice, RawValue, load};
use crate::config::registry::{self, CommandKind, SETTINGS, Setting, SettingKind};
use crate::config::resolve::{RunSettings, resolve};
use crate::exit_code;

/// Where a value is given.
#[derive(Clone, Copy, Debug)]
enum Layer {
    Env,
    Flag,
    File,
}

const COMMANDS: [CommandKind; 4] = [
    CommandKind::Run,
    CommandKind::Plan,
    CommandKind::List,
    CommandKind::Config,
];

/// Values at and beyond every edge: overflow, sign, zero, units, separators.
const NASTY: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "+1",
    "-1",
    "1",
    "010",
    "0x10",
    "1_000",
    "1e3",
    "1.5",
    "NaN",
    "999",
    "1000",
    "1001",
    "4294967295",
    "4294967296",
    "-4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999999999999",
    "0s",
    "-1s",
    "1ns",
    "500ms",
    "24h",
    "24h0m0.000000001s",
    "2562047h47m16.854775807s",
    "2562047h47m16.854775808s",
    "2562048h",
    "-2562048h",
    "1.h",
    ".5s",
    "µs",
    "1µs",
    "true",
    "false",
    "maybe",
    "=",
    ",",
    "a=b,c",
    "=x",
    "{{",
    "{{testExamples}}",
    "'",
    "\"",
    "\\",
    "-",
    "--",
    "\u{0}",
    "\u{feff}",
    "é",
    "\n",
];

/// The overrides `bktec <command> --flag=value` produces.
fn flag_overrides(command: CommandKind, setting: &Setting, value: &str) -> Option<CliOverrides> {
    let flag = setting.flag?;
    let args: Vec<OsString> = ["bktec", command.name()]
        .into_iter()
        .map(OsString::from)
        .chain([OsString::from(format!("--{flag}={value}"))])
        .collect();
    match cli::parse(args, true) {
        Parsed::Cli(parsed) => {
            let mut overrides = match parsed.command {
                Some(Command::Run(c)) => c.settings.overrides,
                Some(Command::Plan(c)) => c.settings.overrides,
                Some(Command::List(c)) => c.settings.overrides,
                Some(Command::Config(c)) => c.settings.overrides,
                Some(Command::Durations(c)) => match c.action {
                    cli::DurationsAction::Update(u) => u.settings.overrides,
                },
                Some(
                    Command::Init(_)
                    | Command::Schema
                    | Command::Completions(_)
                    | Command::Tools(_),
                )
                | None => CliOverrides::default(),
            };
            if let Some(debug) = parsed.debug {
                overrides.push(
                    registry::DEBUG.setting,
                    "--debug".to_string(),
                    RawValue::One(debug),
                );
            }
            Some(overrides)
        }
        Parsed::Exit { status, message } => {
            // A usage error is exit 16 too; a flag the command does not take is one.
            assert_eq!(status, exit_code::CONFIG_ERROR, "{message}");
            None
        }
    }
}

/// The `bktec.toml` that sets `setting` to `value`: as a TOML integer, float
/// or boolean when it reads as one, else as a string.
fn file_text(setting: &Setting, value: &str) -> String {
    let toml_value = if let Ok(i) = value.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = value.parse::<bool>() {
        toml::Value::Boolean(b)
    } else if let Ok(f) = value.parse::<f64>() {
        toml::Value::Float(f)
    } else {
        toml::Value::String(value.to_string())
    };
    let mut table = toml::value::Table::new();
    let parts: Vec<&str> = setting.path().collect();
    let (leaf, sections) = parts.split_last().expect("a key has a part");
    let mut node = &mut table;
    for section in sections {
        node = node
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(toml::value::Table::new()))
            .as_table_mut()
            .expect("a section is a table");
    }
    node.insert(leaf.to_string(), toml_value);
    toml::to_string(&table).expect("a table serializes")
}

/// Loads `values` (given in `layer`) and resolves them for every command,
/// and checks the answer. Flags go through the parser of `bktec config`,
/// which takes every setting's flag.
fn check(dir: &Path, layer: Layer, values: &[(&'static Setting, String)], parse_flags: bool) {
    let mut env = Vec::new();
    let mut overrides = CliOverrides::default();
    let mut file = String::new();
    for (setting, value) in values {
        match (layer, setting.primary_env()) {
            (Layer::Env, Some(name)) => env.push((name, value.clone())),
            (Layer::File, _) if setting.in_file() => file.push_str(&file_text(setting, value)),
            (Layer::Env | Layer::File | Layer::Flag, _) if !parse_flags => {
                let flag = setting
                    .flag_text()
                    .unwrap_or_else(|| setting.key.to_string());
                let raw = match setting.kind {
                    SettingKind::KeyValues => RawValue::Many(vec![value.clone()]),
                    SettingKind::Text
                    | SettingKind::Path
                    | SettingKind::Bool
                    | SettingKind::Int
                    | SettingKind::Duration => RawValue::One(value.clone()),
                };
                overrides.push(setting, flag, raw);
            }
            (Layer::Env | Layer::File | Layer::Flag, _) => {
                if let Some(more) = flag_overrides(CommandKind::Config, setting, value) {
                    for (s, flag, raw) in more.entries() {
                        overrides.push(s, flag.clone(), raw.clone());
                    }
                }
            }
        }
    }
    let choice = if file.is_empty() {
        FileChoice::Disabled
    } else {
        fs::write(dir.join("bktec.toml"), &file).expect("write bktec.toml");
        FileChoice::Auto
    };
    let env = EnvSnapshot::from_pairs(env);
    let loaded = match load(&env, &overrides, &choice, dir) {
        Ok(loaded) => loaded,
        Err(ConfigError::Syntax { .. }) if matches!(layer, Layer::File) => return,
        Err(other) => panic!("unexpected error for {values:?}: {other:?}"),
    };
    for command in COMMANDS {
        match resolve(
            &loaded,
            command,
            &RunnerFacts::new(crate::runner::rules, &|| false),
        ) {
            Ok(settings) => assert_in_range(&settings),
            Err(ConfigError::Invalid { problems }) => {
                assert!(!problems.is_empty(), "an error without a problem");
            }
            Err(other) => panic!("unexpected error for {values:?}: {other:?}"),
        }
    }
}

/// D27: settings that resolve hold only numbers within range.
fn assert_in_range(settings: &RunSettings) {
    assert!(settings.parallelism <= 1000);
    assert!(settings.node_index < 1000);
    assert!(settings.job.job_retry_count >= 0);
    assert!((0..=1000).contains(&settings.max_parallelism));
    assert!(!settings.target_time.is_negative());
    let api = settings.api_retry;
    for d in [api.attempt_timeout, api.budget, api.base_delay] {
        assert!(!d.is_zero(), "{api:?}");
    }
    if let crate::config::resolve::PlanMode::TestEngine(api) = &settings.mode {
        assert!(api.oidc_lifetime.whole_secs() >= 1);
    }
}

#[test]
fn every_setting_from_every_layer_with_every_edge_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    for setting in SETTINGS {
        for value in NASTY {
            for layer in [Layer::Env, Layer::Flag, Layer::File] {
                // The command-line parser passes a flag's text on as it is;
                // the property test below goes through it.
                check(dir.path(), layer, &[(setting, value.to_string())], false);
            }
        }
    }
}

/// Arbitrary text, biased towards numbers and durations.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+]?[0-9]{0,22}",
        "[-+]?([0-9]{0,12}(\\.[0-9]{0,12})?(ns|us|µs|ms|s|m|h)){1,3}",
        proptest::sample::select(NASTY).prop_map(str::to_string),
    ]
}

fn layer() -> impl Strategy<Value = Layer> {
    prop_oneof![Just(Layer::Env), Just(Layer::Flag), Just(Layer::File)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_values_never_panic(
        layer in layer(),
        picks in proptest::collection::vec((0..SETTINGS.len(), value()), 1..6),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let values: Vec<(&'static Setting, String)> =
            picks.into_iter().map(|(i, v)| (SETTINGS[i], v)).collect();
        check(dir.path(), layer, &values, true);
    }

    #[test]
    fn arbitrary_files_never_panic(content in prop_oneof![
        any::<String>(),
        "(\\[[a-z.-]{1,14}\\]\n)?([a-z.\"-]{1,22} = (\"[^\"\n]{0,12}\"|[-+0-9_.e]{1,22}|true|\\[\\]|\\{\\}|\\[1, \"a\"\\])\n){0,5}",
    ]) {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("bktec.toml"), &content).expect("write bktec.toml");
        for command in COMMANDS {
            let outcome = load(&EnvSnapshot::default(), &CliOverrides::default(), &FileChoice::Auto, dir.path())
                .and_then(|loaded| resolve(&loaded, command, &RunnerFacts::new(crate::runner::rules, &|| true)));
            let answered = matches!(
                outcome,
                Ok(_) | Err(ConfigError::Invalid { .. } | ConfigError::Syntax { .. })
            );
            prop_assert!(answered, "{:?}", outcome.err());
        }
    }
}

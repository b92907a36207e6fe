//! The checked-in schema matches the code (S15), and every example
//! configuration validates against it and loads through the real loader.

use std::fs;
use std::path::{Path, PathBuf};

use bktec::config::schema::schema_json;
use bktec::config::{CliOverrides, EnvSnapshot, FileChoice, load};

use crate::support::repo_root;

#[test]
fn schema_is_up_to_date() {
    let path = repo_root().join("schemas/bktec.schema.json");
    let generated = schema_json();
    if std::env::var_os("BKTEC_BLESS").is_some() {
        fs::write(&path, &generated).expect("write schema");
        return;
    }
    let checked_in = fs::read_to_string(&path).unwrap_or_default();
    if checked_in != generated {
        let diff: Vec<String> = checked_in
            .lines()
            .zip(generated.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(10)
            .map(|(i, (a, b))| format!("line {}:\n- {a}\n+ {b}", i + 1))
            .collect();
        panic!(
            "schemas/bktec.schema.json is stale ({} vs {} lines)\n{}\nrun `BKTEC_BLESS=1 cargo test schema` to update",
            checked_in.lines().count(),
            generated.lines().count(),
            diff.join("\n")
        );
    }
}

fn example_configs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("read examples") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.file_name().is_some_and(|n| n == "bktec.toml") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo_root().join("examples"), &mut out);
    out
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&schema_json()).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn examples_validate_against_the_schema_and_load() {
    let validator = validator();
    let configs = example_configs();
    assert!(!configs.is_empty(), "no examples/**/bktec.toml found");
    for path in configs {
        let text = fs::read_to_string(&path).expect("read example");
        let value: toml::Value = toml::from_str(&text).expect("example is TOML");
        let json = serde_json::to_value(value).expect("TOML converts to JSON");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        let dir = path.parent().expect("has a parent");
        load(
            &EnvSnapshot::default(),
            &CliOverrides::default(),
            &FileChoice::Explicit(path.clone()),
            dir,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn schema_rejects_bad_configurations_at_a_named_pointer() {
    let validator = validator();
    let cases = [
        ("[runner]\nnmae = \"pytest\"\n", "/runner"),
        ("[retry]\ncount = -1\n", "/retry/count"),
        ("[retry]\ncount = \"2\"\n", "/retry/count"),
        ("[runner]\nname = \"nunit\"\n", "/runner/name"),
        ("[test-engine]\naccess-token = \"x\"\n", "/test-engine"),
        ("[buildkite]\nparallelism = 2\n", ""),
        (
            "[test-engine]\noidc-lifetime = \"2 hours\"\n",
            "/test-engine/oidc-lifetime",
        ),
    ];
    for (text, pointer) in cases {
        let value: toml::Value = toml::from_str(text).unwrap();
        let json = serde_json::to_value(value).unwrap();
        let pointers: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.instance_path().to_string())
            .collect();
        assert!(
            pointers.iter().any(|p| p == pointer),
            "{text:?}: expected an error at {pointer:?}, got {pointers:?}"
        );
    }
}

const TABLE_START: &str = "<!-- settings-table:start -->\n";
const TABLE_END: &str = "<!-- settings-table:end -->";

#[test]
fn readme_settings_table_is_up_to_date() {
    let path = repo_root().join("README.md");
    let readme = fs::read_to_string(&path).expect("read README.md");
    let start = readme
        .find(TABLE_START)
        .expect("README has the table start marker")
        + TABLE_START.len();
    let end = readme
        .find(TABLE_END)
        .expect("README has the table end marker");
    let generated = bktec::config::show::reference_markdown();
    if std::env::var_os("BKTEC_BLESS").is_some() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[end..]);
        fs::write(&path, updated).expect("write README.md");
        return;
    }
    assert!(
        readme[start..end] == generated,
        "the settings table in README.md is stale\nrun `BKTEC_BLESS=1 cargo test schema` to update"
    );
}

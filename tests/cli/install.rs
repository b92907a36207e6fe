//! What the README's install step promises (issue 21, item 12): the
//! prerequisites it names are the ones Cargo.toml declares, and what users
//! install carries no debug symbols.

use crate::support::repo_root;

fn manifest() -> toml::Table {
    let text = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    text.parse().expect("Cargo.toml is TOML")
}

#[test]
fn the_readme_install_step_matches_the_manifest() {
    let manifest = manifest();
    let rust = manifest["package"]["rust-version"].as_str().unwrap();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let install = &readme[readme.find("## Install").expect("an Install section")..];
    let install = &install[..install[3..].find("\n## ").map_or(install.len(), |i| i + 3)];
    assert!(
        install.contains(&format!("You need Rust {rust} or later")),
        "the README names another Rust than rust-version = {rust}:\n{install}"
    );
    assert!(
        install.contains("cargo install --locked --path ."),
        "{install}"
    );
    assert!(install.contains("C compiler"), "ring needs one: {install}");
}

#[test]
fn a_release_build_strips_its_symbols_and_a_profiling_build_keeps_lines() {
    let manifest = manifest();
    let profiles = manifest["profile"].as_table().unwrap();
    assert_eq!(profiles["release"]["strip"].as_bool(), Some(true));
    let profiling = &profiles["profiling"];
    assert_eq!(profiling["inherits"].as_str(), Some("release"));
    assert_eq!(profiling["strip"].as_bool(), Some(false));
    assert_eq!(profiling["debug"].as_str(), Some("line-tables-only"));
}

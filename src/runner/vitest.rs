//! Vitest (behaviour document 5.2, 7.2, 7.7, 8.3, 9.2, 13.1): Jest's
//! handling (`runner::jest`) with Vitest's command. Its `json` reporter
//! writes Jest's format; a retry's skips of tests it was not asked to run
//! (the name pattern skips the rest of each file) are not recorded.

use super::RunnerKind;
use super::detect;
use crate::config::elements::RunnerRules;
use super::framework::{Detect, Framework, History, Init, key_by_node_id};
use super::jest::{PATTERN, by_name};
use crate::results::{Mapping, ResultFormat};

const COMMAND: &str = "npx vitest run {{testExamples}} --reporter=default --reporter=json --outputFile {{resultPath}}";

/// What bktec knows about Vitest.
pub(super) const FRAMEWORK: Framework = Framework {
    display_name: "Vitest",
    rules: RunnerRules::walking(PATTERN, |_| (COMMAND, "")),
    skips_hidden_and_venv_dirs: false,
    node_ids: false,
    announces_result_format: false,
    mapping: Mapping::Custom,
    collects_with_pytest: false,
    fail_fast_options: &["--bail"],
    example_listing: None,
    roster: None,
    history: Some(History {
        format: ResultFormat::VitestJson,
        key: key_by_node_id,
    }),
    build: Some(|inputs, _probe| by_name(RunnerKind::Vitest, COMMAND, inputs)),
    init: Init {
        detect: Some(Detect {
            rank: 2,
            finds: detect::vitest_project,
        }),
        result_path: "tmp/bktec-results.json",
        results_note: None,
    },
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::results::ResultFormat;
    use crate::runner::RunnerInputs;

    #[test]
    fn retries_add_the_name_pattern_to_the_vitest_command() {
        let inputs = RunnerInputs {
            result_path: Some(Path::new("r.json")),
            ..RunnerInputs::default()
        };
        let r = by_name(RunnerKind::Vitest, COMMAND, inputs).unwrap();
        let argv = r.argv(&["a.test.ts::Cart adds".into()], 1).unwrap();
        assert_eq!(
            argv[argv.len() - 2..],
            ["--testNamePattern", "^(?:Cart adds)$"]
        );
        assert_eq!(argv[3], "a.test.ts");
        assert_eq!(r.upload_format(), Some(ResultFormat::VitestJson));
    }
}

//! Building create-plan requests (behaviour document 6.1-6.3, 5.6, 10.5).

use std::collections::{BTreeMap, HashSet};

use crate::api::{
    ApiClient, ApiError, CreatePlanRequest, EnvPayload, Example, FilePath, FilterTestsRequest,
    SelectionRequest, Selector, TestsPayload,
};
use crate::config::Origin;
use crate::config::RunSettings;
use crate::config::resolve::{ApiSettings, SelectionSettings};
use crate::glob::clean;
use crate::plan::trim;
use crate::runner::{ResultFormat, Runner};

/// The `env` payload (10.5): raw configuration, empty where defaults apply.
pub(super) fn env_payload(settings: &RunSettings, api: &ApiSettings) -> EnvPayload {
    let raw = |value: Option<(&str, &Origin)>| match value {
        Some((text, origin)) if !matches!(origin, Origin::RunnerDefault { .. }) => text.to_string(),
        Some(_) | None => String::new(),
    };
    EnvPayload {
        build_id: settings.job.build_id.clone(),
        debug: settings.debug,
        identifier: api.plan_identifier.clone(),
        job_id: settings.job.job_id.clone(),
        job_retry_count: settings.job.job_retry_count,
        max_retries: settings.retry.count,
        node_index: settings.node_index,
        organization_slug: api.organization_slug.clone(),
        parallelism: settings.parallelism,
        retry_command: raw(settings
            .retry_command
            .as_ref()
            .map(|c| (c.value.as_str(), &c.origin))),
        split_by_example: api.split_by_example,
        step_id: settings.job.step_id.clone(),
        suite_slug: api.suite_slug.clone(),
        tag_filters: settings.tag_filters.clone().unwrap_or_default(),
        test_command: raw(settings
            .test_command
            .as_ref()
            .map(|c| (c.value.as_str(), &c.origin))),
        exclude_pattern: settings.exclude_pattern.value.as_str().to_string(),
        include_pattern: raw(settings
            .include_pattern
            .as_ref()
            .map(|p| (p.value.as_str(), &p.origin))),
        runner: settings.runner.as_str().to_string(),
    }
}

/// `prefix(path, p)` of 5.6.
pub(super) fn with_prefix(path: &str, prefix: &str) -> String {
    match prefix {
        "" => path.to_string(),
        "./" if path.starts_with("./") => path.to_string(),
        "./" => format!("./{path}"),
        _ => clean(&format!("{prefix}/{path}")),
    }
}

/// The create-plan request (6.2). For runners that can split files into
/// examples (pytest, RSpec, Cucumber, Playwright), Test Engine's
/// filter_tests answer decides which files are sent as individual tests;
/// with pytest's tag filters every file is. Other runners send every target
/// as a selector.
pub(super) async fn build_request(
    client: &mut ApiClient,
    settings: &RunSettings,
    api: &ApiSettings,
    runner: Option<&Runner>,
    targets: &[String],
) -> Result<CreatePlanRequest, ApiError> {
    let prefix = settings.location_prefix.clone().unwrap_or_default();
    // 6.2: runners that cannot split files send selectors; so does one whose
    // tests Test Engine cannot skip (Playwright), unless asked to split.
    let splitting = runner.filter(|r| {
        r.example_split()
            .is_some_and(|split| split.skips || api.split_by_example)
    });
    let tests = match splitting {
        None => TestsPayload {
            examples: Vec::new(),
            selectors: selectors_of(targets),
        },
        Some(runner) => {
            if let (Some(filters), true) =
                (&settings.tag_filters, runner.kind.supports_tag_filters())
            {
                TestsPayload {
                    examples: examples(runner, targets, Some(filters), &prefix)?,
                    selectors: Vec::new(),
                }
            } else {
                split_by_server(client, settings, api, runner, targets, &prefix).await?
            }
        }
    };
    Ok(CreatePlanRequest {
        runner: settings.runner.as_str().to_string(),
        identifier: api.plan_identifier.clone(),
        parallelism: settings.parallelism,
        max_parallelism: 0,
        target_time: 0.0,
        branch: settings.job.branch.clone(),
        location_prefix: prefix,
        tests,
        selection: selection(&api.selection),
        metadata: api.selection.metadata.iter().cloned().collect(),
    })
}

/// The request's `selection` (D40): none for an empty strategy or one that
/// reads as "off" (`none`, `off`, `false`, `disabled`, `no`, in any case and
/// with spaces around), which the Go client does not send either; any other
/// value is sent as written, for Test Engine to judge.
fn selection(settings: &SelectionSettings) -> Option<SelectionRequest> {
    let word = settings.strategy.trim().to_lowercase();
    if matches!(
        word.as_str(),
        "" | "none" | "off" | "false" | "disabled" | "no"
    ) {
        return None;
    }
    Some(SelectionRequest {
        strategy: settings.strategy.clone(),
        params: settings.params.iter().cloned().collect::<BTreeMap<_, _>>(),
    })
}

/// Whether this request collects git metadata (D40, behaviour document
/// 13.3): with any strategy given (even one that reads as "off", as in the
/// Go client), or, for `plan` only, when asked to.
pub(super) fn collects_git_metadata(settings: &SelectionSettings, plan: bool) -> bool {
    !settings.strategy.is_empty() || (plan && settings.collect_git_metadata)
}

/// The tests of a create-plan request whose files Test Engine decides to
/// split (6.3): its filter_tests answer names them, and their examples are
/// sent; the other files go as selectors.
async fn split_by_server(
    client: &mut ApiClient,
    settings: &RunSettings,
    api: &ApiSettings,
    runner: &Runner,
    targets: &[String],
    prefix: &str,
) -> Result<TestsPayload, ApiError> {
    let filter = FilterTestsRequest {
        files: targets
            .iter()
            .map(|t| FilePath {
                path: with_prefix(t, prefix),
            })
            .collect(),
        env: env_payload(settings, api),
        max_parallelism: settings.max_parallelism,
        target_time: settings.target_time.to_std().as_secs_f64(),
    };
    let split = client.filter_tests(&filter).await?;
    if split.is_empty() {
        return Ok(TestsPayload {
            examples: Vec::new(),
            selectors: selectors_of(targets),
        });
    }
    let split_set: HashSet<&str> = split.iter().map(String::as_str).collect();
    let files: Vec<String> = split
        .iter()
        .map(|p| trim(p, prefix).map_err(ApiError::Prefix))
        .collect::<Result<_, _>>()?;
    let kept: Vec<String> = targets
        .iter()
        .filter(|t| !split_set.contains(with_prefix(t, prefix).as_str()))
        .cloned()
        .collect();
    Ok(TestsPayload {
        examples: examples(runner, &files, None, prefix)?,
        selectors: selectors_of(&kept),
    })
}

/// Every target as a selector.
fn selectors_of(targets: &[String]) -> Vec<Selector> {
    targets
        .iter()
        .map(|t| Selector { value: t.clone() })
        .collect()
}

/// The tests of `files`, collected with the test command's pytest (D13),
/// or listed by the runner's own tool (6.4).
fn examples(
    runner: &Runner,
    files: &[String],
    tag_filters: Option<&str>,
    prefix: &str,
) -> Result<Vec<Example>, ApiError> {
    let junit = runner
        .result_file()
        .is_some_and(|f| f.format == ResultFormat::JUnitXml);
    let collected = runner
        .collect_examples(files, tag_filters, junit)
        .map_err(|err| ApiError::Examples(Box::new(err)))?;
    Ok(collected
        .into_iter()
        .map(|e| Example {
            path: with_prefix(&e.node_id, prefix),
            format: "example",
            identifier: e.node_id,
            name: e.name,
            scope: e.scope,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strategy_that_reads_as_off_sends_no_selection_but_collects() {
        let settings = |strategy: &str, collect: bool| SelectionSettings {
            strategy: strategy.to_string(),
            params: vec![("percent".to_string(), "40".to_string())],
            collect_git_metadata: collect,
            ..SelectionSettings::default()
        };
        for off in ["", "none", " Off ", "FALSE", "disabled", "no"] {
            assert_eq!(selection(&settings(off, false)), None, "{off:?}");
            assert_eq!(
                collects_git_metadata(&settings(off, false), true),
                !off.is_empty()
            );
        }
        let sent = selection(&settings(" Percent", false)).expect("a strategy");
        assert_eq!(sent.strategy, " Percent", "sent as written");
        assert_eq!(sent.params["percent"], "40");
        // D40: `run` (not `plan`) collects only with a strategy.
        assert!(collects_git_metadata(&settings("", true), true));
        assert!(!collects_git_metadata(&settings("", true), false));
        assert!(collects_git_metadata(&settings("x", false), false));
    }

    #[test]
    fn prefixes() {
        assert_eq!(with_prefix("spec/a.rb", ""), "spec/a.rb");
        assert_eq!(with_prefix("spec/a.rb", "./"), "./spec/a.rb");
        assert_eq!(with_prefix("./spec/a.rb", "./"), "./spec/a.rb");
        assert_eq!(with_prefix("spec/a.rb", "app"), "app/spec/a.rb");
        assert_eq!(with_prefix("./x", "app/"), "app/x");
    }
}

//! The connect stage, shared by `run` and `plan`: the tokens of an API run
//! and the Test Engine API client (behaviour document 3, 4.1).

use super::Context;
use super::error::BktecError;
use crate::agent::mint_oidc_token;
use crate::api::{ApiClient, RetryConfig};
use crate::chain::ErrorChain;
use crate::config::elements::Secret;
use crate::config::registry::CommandKind;
use crate::config::resolve::{ApiRetry, ApiSettings};
use crate::config::{EnvVars, RunSettings};
use crate::report::api_notices;
use crate::runner::{self, Runner, RunnerError, RunnerInputs};

/// The tokens of an API run.
pub(super) struct Tokens {
    /// The API access token.
    pub(super) access: Secret,
    /// An upload token minted here, if one was needed.
    pub(super) upload: Option<Secret>,
}

/// The access token (3.1, 3.2) and, for `run`, the upload token (3.3). A
/// failure to mint the access token is a configuration error (2.3 rule 4).
/// An upload token that cannot be minted only leaves uploads without one:
/// failing the run for it, as the Go client does off-agent, helps nobody.
pub(super) fn tokens(settings: &RunSettings, api: &ApiSettings) -> Result<Tokens, BktecError> {
    let mint = || {
        mint_oidc_token(
            &settings.agent_command,
            &api.base_url,
            &api.organization_slug,
            &api.suite_slug,
            api.oidc_lifetime.whole_secs(),
        )
    };
    let (access, minted) = match &api.access_token {
        Some(token) => (token.clone(), false),
        None => {
            let token = mint().map_err(|err| BktecError::Config {
                command: settings.command,
                source: crate::config::ConfigError::Invalid {
                    problems: vec![crate::config::error::Problem::other(format!(
                        "BUILDKITE_TEST_ENGINE_API_ACCESS_TOKEN {:#}",
                        ErrorChain(&err)
                    ))],
                },
            })?;
            (token, true)
        }
    };
    let upload = match (&settings.upload_token, settings.command) {
        (None, CommandKind::Run) if minted => Some(access.clone()),
        (None, CommandKind::Run) if api.oidc => mint().ok(),
        _ => None,
    };
    Ok(Tokens { access, upload })
}

/// The API client's retry configuration from the settings (config does not
/// know the API client).
pub(super) fn retry_config(retry: ApiRetry) -> RetryConfig {
    let ApiRetry {
        attempt_timeout,
        budget,
        base_delay,
    } = retry;
    RetryConfig {
        attempt_timeout,
        budget,
        base_delay,
    }
}

/// The API client, whose retry notices (and, with `debug`, request
/// notices) the reporter words, on stderr.
pub(super) fn api_client(
    api: &ApiSettings,
    retry: ApiRetry,
    token: Secret,
    debug: bool,
    color: bool,
) -> Result<ApiClient, BktecError> {
    ApiClient::new(
        &api.base_url,
        &api.organization_slug,
        &api.suite_slug,
        token,
        retry_config(retry),
        api_notices(color, debug),
    )
    .map_err(BktecError::Api)
}

/// The runner of this run, with `PYTHONPATH` from the environment kept for
/// the witness (D23).
pub(super) fn build_runner(
    context: &Context,
    settings: &RunSettings,
) -> Result<Runner, BktecError> {
    let python_path = context.env.get(EnvVars::PYTHONPATH);
    runner::build(
        settings.runner,
        RunnerInputs {
            test_command: settings.test_command.as_ref().map(|c| &c.value),
            retry_command: settings.retry_command.as_ref().map(|c| &c.value),
            result_path: settings.result_path.as_ref().map(|p| p.value.as_path()),
            tag_filters: settings.tag_filters.as_deref(),
            python_path,
            pytest_addopts: context.env.get(EnvVars::PYTEST_ADDOPTS),
            spec_opts: context.env.get(EnvVars::SPEC_OPTS),
        },
        // Resolution may have asked already (pytest's default command, D14).
        || {
            settings
                .collector_installed
                .unwrap_or_else(runner::collector_installed)
        },
    )
    .map(|runner| runner.with_collection_timeout(settings.collection_timeout))
    .map_err(|err| match err {
        RunnerError::Preflight(err) => BktecError::Preflight(err),
        other => BktecError::Runner(other),
    })
}

//! Tokens: OIDC tokens from the Buildkite agent (behaviour document 3.2).

use std::process::{Command, Stdio};

use crate::secret::Secret;

/// Asks `agent` for an OIDC token for the suite's audience:
/// `<agent> oidc request-token --audience <base>/v2/analytics/organizations/<org>/suites/<suite> --lifetime <secs>`.
/// The error text is `error generating token: <stderr>: <error>`.
pub fn mint_oidc_token(
    agent: &str,
    base_url: &str,
    organization: &str,
    suite: &str,
    lifetime_secs: i64,
) -> Result<Secret, String> {
    let audience = format!("{base_url}/v2/analytics/organizations/{organization}/suites/{suite}");
    let output = Command::new(agent)
        .args([
            "oidc",
            "request-token",
            "--audience",
            &audience,
            "--lifetime",
        ])
        .arg(lifetime_secs.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("error generating token: : failed to start `{agent}`: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "error generating token: {}: {}",
            String::from_utf8_lossy(&output.stderr).trim(),
            output.status
        ));
    }
    let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if token.is_empty() {
        return Err("error generating token: the agent printed no token".to_string());
    }
    Ok(Secret::new(token))
}

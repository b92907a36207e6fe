//! The API calls of `bktec tools backfill-commit-metadata` (D43), in the Go
//! client's shapes: the commits Test Engine has seen, the suite's ids, the
//! presigned upload, and the upload itself (a multipart POST to storage,
//! without the API token).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};

use super::client::{ApiClient, ApiError, decode};

/// How long the upload of an archive may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// The suite's identifiers.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(crate) struct SuiteIds {
    /// The suite's UUID.
    #[serde(default)]
    pub id: String,
    /// The organization's UUID.
    #[serde(default)]
    pub organization_id: String,
}

/// Where and how to upload an archive.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(crate) struct PresignedUpload {
    /// Where the upload ends up (shown to the user).
    #[serde(default)]
    pub uri: String,
    /// The form to post.
    #[serde(default)]
    pub form: UploadForm,
    /// The organization's UUID.
    #[serde(default)]
    pub organization_id: String,
    /// The suite's UUID.
    #[serde(default)]
    pub suite_id: String,
}

/// A presigned form: post `data` and the file (as `file_input`) to `url`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(crate) struct UploadForm {
    /// The HTTP method (POST).
    #[serde(default)]
    pub method: String,
    /// Where to post.
    #[serde(default)]
    pub url: String,
    /// The form's fields, sent before the file.
    #[serde(default)]
    pub data: BTreeMap<String, String>,
    /// The name of the file's field.
    #[serde(default)]
    pub file_input: String,
}

/// The upload to storage failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadError {
    /// The archive could not be read.
    #[error("failed to read `{}`", path.display())]
    Read {
        /// The archive.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The form's method is not an HTTP method.
    #[error("the presigned form's method `{0}` is not an HTTP method")]
    Method(String),
    /// The request could not be sent.
    #[error("failed to send the upload to `{url}`")]
    Send {
        /// Where.
        url: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// Storage refused the presigned form (it may have expired).
    #[error("storage rejected the upload with status 403: {body}")]
    Forbidden {
        /// What it said.
        body: String,
    },
    /// Storage answered with another failure.
    #[error("storage rejected the upload with status {status}: {body}")]
    Status {
        /// The status.
        status: u16,
        /// What it said.
        body: String,
    },
}

impl ApiClient {
    /// The commits of the suite's test runs over the last `days` days, one
    /// SHA a line (`Accept: text/plain`).
    pub(crate) async fn commit_list(&mut self, days: u32) -> Result<Vec<String>, ApiError> {
        let url = self.suite_url(&format!("/commits?days={days}"));
        let mut accept = HeaderMap::new();
        accept.insert(ACCEPT, HeaderValue::from_static("text/plain"));
        let response = self.send_with(Method::GET, &url, None, accept).await?;
        if response.status != StatusCode::OK {
            decode::<serde_json::Value>(response)?;
            return Err(ApiError::Status("unexpected status".to_string()));
        }
        let text = String::from_utf8_lossy(&response.body);
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// The suite's and its organization's UUIDs.
    pub(crate) async fn suite_ids(&mut self) -> Result<SuiteIds, ApiError> {
        let url = self.suite_url("");
        let response = self.send(Method::GET, &url, None).await?;
        decode(response)
    }

    /// A presigned upload for a backfill archive.
    pub(crate) async fn presign_backfill(&mut self) -> Result<PresignedUpload, ApiError> {
        let url = self.suite_url("/commit-metadata-backfill/presigned-upload");
        let response = self.send(Method::POST, &url, None).await?;
        decode(response)
    }
}

/// Posts the archive at `path` with the presigned `form`.
pub(crate) async fn upload_archive(path: &Path, form: &UploadForm) -> Result<(), UploadError> {
    let bytes = std::fs::read(path).map_err(|source| UploadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "commit-metadata.tar.gz".to_string());
    let mut multipart = reqwest::multipart::Form::new();
    for (key, value) in &form.data {
        multipart = multipart.text(key.clone(), value.clone());
    }
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
    multipart = multipart.part(form.file_input.clone(), part);
    let method = Method::from_bytes(form.method.as_bytes())
        .map_err(|_| UploadError::Method(form.method.clone()))?;
    let send = |source| UploadError::Send {
        url: form.url.clone(),
        source,
    };
    let response = reqwest::Client::builder()
        .timeout(UPLOAD_TIMEOUT)
        .build()
        .map_err(send)?
        .request(method, &form.url)
        .multipart(multipart)
        .send()
        .await
        .map_err(send)?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(match status {
        StatusCode::FORBIDDEN => UploadError::Forbidden { body },
        _ => UploadError::Status {
            status: status.as_u16(),
            body,
        },
    })
}

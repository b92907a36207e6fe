//! Built-in result upload (behaviour document 13.1): a multipart
//! `POST /v1/uploads` after every attempt, with its own retry budget.
//! Failures only warn.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, USER_AGENT};
use reqwest::multipart::{Form, Part};

use crate::api::{ApiError, Retrier, RetryConfig, user_agent};
use crate::secret::Secret;

/// Why results could not be uploaded. Upload failures only warn (13.1).
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadError {
    /// The HTTP client could not be set up.
    #[error("failed to set up the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The result file could not be read.
    #[error("failed to read `{}`", path.display())]
    Read {
        /// The result file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The request failed, or its retry budget ran out.
    #[error(transparent)]
    Request(ApiError),
    /// Test Engine refused the upload.
    #[error("upload failed with status {status}: {body}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The response body, trimmed.
        body: String,
    },
}

/// Uploads result files of one run.
pub(crate) struct Uploader {
    http: reqwest::Client,
    url: String,
    token: Secret,
    /// `format`, `run_env[...]` and `tags[...]`, in order.
    fields: Vec<(String, String)>,
    retrier: Retrier,
}

impl Uploader {
    /// An uploader to `<base_url>/v1/uploads` with `fields` before the file.
    /// Attempts take at most 5 s and retries 30 s in all (13.1), or less when
    /// the API settings say so.
    pub(crate) fn new(
        base_url: &str,
        token: Secret,
        fields: Vec<(String, String)>,
        api: RetryConfig,
    ) -> Result<Uploader, UploadError> {
        let config = RetryConfig {
            attempt_timeout: api.attempt_timeout.min(Duration::from_secs(5)),
            budget: api.budget.min(Duration::from_secs(30)),
            base_delay: api.base_delay,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(config.attempt_timeout)
            .build()
            .map_err(UploadError::Client)?;
        Ok(Uploader {
            http,
            url: format!("{}/v1/uploads", base_url.trim_end_matches('/')),
            token,
            fields,
            retrier: Retrier {
                config,
                notify: Box::new(|_| {}),
            },
        })
    }

    /// Uploads the file at `path`. Success is any 2xx.
    pub(crate) async fn upload(&mut self, path: &Path) -> Result<(), UploadError> {
        let data = std::fs::read(path).map_err(|source| UploadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "results".to_string());
        let (http, url, token, fields) = (&self.http, &self.url, &self.token, &self.fields);
        let build = || {
            let mut form = Form::new();
            for (name, value) in fields {
                form = form.text(name.clone(), value.clone());
            }
            form = form.part(
                "data",
                Part::bytes(data.clone()).file_name(file_name.clone()),
            );
            http.request(Method::POST, url)
                .header(AUTHORIZATION, format!("Token token={}", token.expose()))
                .header(USER_AGENT, user_agent())
                .multipart(form)
        };
        let response = self
            .retrier
            .send(&Method::POST, url, build)
            .await
            .map_err(UploadError::Request)?;
        if response.status.is_success() {
            Ok(())
        } else {
            Err(UploadError::Status {
                status: response.status.as_u16(),
                body: String::from_utf8_lossy(&response.body).trim().to_string(),
            })
        }
    }
}

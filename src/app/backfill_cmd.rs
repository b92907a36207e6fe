//! `bktec tools backfill-commit-metadata` (D43; the Go client's preview
//! command): the commits Test Engine has seen, collected from the local
//! repository by `backfill/`, written as the documented archive and
//! uploaded through a presigned form, or written with `--output`; or an
//! earlier archive uploaded with `--upload`. The API calls that need the
//! token's scopes (`read_suites` for the commit list, `write_suites` for
//! the presigned upload) are made before any git work.

use std::path::{Path, PathBuf};

use super::Context;
use super::backfill_inputs::{Connection, InputError, Mode, inputs};
use super::error::BktecError;
use crate::api::{ApiClient, ApiError, PresignedUpload, RetryConfig, UploadError, upload_archive};
use crate::backfill::{
    ArchiveError, ArchiveMetadata, CollectOptions, Collected, Git, GitError, NotAnArchive,
    Progress, Stamp,
};
use crate::cli::BackfillCmd;
use crate::events::{BackfillNotice, Notice};
use crate::process::Signals;
use crate::report::{Reporter, api_notices};

/// Why the backfill failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BackfillError {
    /// A value it was given.
    #[error(transparent)]
    Input(#[from] InputError),
    /// An API call failed.
    #[error("failed to {step}: {error}")]
    Api {
        /// What it was doing.
        step: &'static str,
        /// The API's error, shown on the same line as the Go client shows it.
        error: ApiError,
    },
    /// The API answered without the suite's identifiers.
    #[error("the API response has no organization_id or suite_id")]
    MissingIds,
    /// git failed.
    #[error("failed to collect commit metadata")]
    Git(#[source] GitError),
    /// The `--upload` file is not an archive of this command.
    #[error("refusing to upload (from --upload)")]
    NotAnArchive(#[source] NotAnArchive),
    /// The `--upload` archive was made for another suite.
    #[error(
        "refusing to upload `{}` (from --upload): it holds commits of `{archive}`, \
         not of `{given}` (from the suite and organization slugs)",
        path.display()
    )]
    OtherSuite {
        /// The archive.
        path: PathBuf,
        /// Its organization and suite.
        archive: String,
        /// The ones given.
        given: String,
    },
    /// The archive could not be written.
    #[error("failed to package the commit metadata")]
    Archive(#[source] ArchiveError),
    /// The async runtime or the signal handlers could not be set up.
    #[error("failed to set up the HTTP runtime")]
    Runtime(#[source] std::io::Error),
    /// A signal that ends bktec arrived during an API call or the upload;
    /// bktec exits 128 + n (D33).
    #[error("stopped by {}", crate::process::signal_name(*signal))]
    Stopped {
        /// The signal.
        signal: i32,
    },
    /// The upload failed (an archive made by this run is kept, and said).
    #[error("failed to upload `{}`", path.display())]
    Upload {
        /// The archive.
        path: PathBuf,
        /// Why.
        #[source]
        source: UploadError,
    },
}

/// Runs the command; the archive's path is said when an upload fails.
pub(super) fn backfill(
    context: &Context,
    cmd: &BackfillCmd,
    reporter: &mut Reporter,
) -> Result<u8, BktecError> {
    say(reporter, BackfillNotice::Started);
    let mut run = || -> Result<(), BackfillError> {
        let (connection, mode) = inputs(cmd, &context.env)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(BackfillError::Runtime)?;
        let signals = runtime
            .block_on(async { Signals::install() })
            .map_err(BackfillError::Runtime)?;
        let client = client(&connection, reporter.color())?;
        let mut session = Backfill {
            client,
            runtime,
            signals,
            connection,
        };
        match mode {
            Mode::UploadFile(path) => {
                check_archive(&path, &session.connection)?;
                session.upload(&path, None, reporter)
            }
            Mode::Output(options, path) => {
                session.collect(&context.cwd, &options, Some(&path), reporter)
            }
            Mode::Upload(options) => session.collect(&context.cwd, &options, None, reporter),
        }
    };
    run().map_err(BktecError::Backfill)?;
    Ok(crate::exit_code::SUCCESS)
}

fn client(connection: &Connection, color: bool) -> Result<ApiClient, BackfillError> {
    ApiClient::new(
        &connection.base_url,
        &connection.organization,
        &connection.suite,
        connection.token.clone(),
        RetryConfig::default(),
        api_notices(color, false),
    )
    .map_err(|error| BackfillError::Api {
        step: "set up the API client",
        error,
    })
}

/// One run of the command: the API client, its runtime, and the signals
/// that stop an API call or the upload (the git children are stopped by
/// `process/`).
struct Backfill {
    client: ApiClient,
    runtime: tokio::runtime::Runtime,
    signals: Signals,
    connection: Connection,
}

impl Backfill {
    /// Collects, packages, and writes or uploads the archive.
    fn collect(
        &mut self,
        cwd: &Path,
        options: &CollectOptions,
        output: Option<&Path>,
        reporter: &mut Reporter,
    ) -> Result<(), BackfillError> {
        say(
            reporter,
            BackfillNotice::FetchingCommits {
                suite: &self.connection.suite,
                days: options.days,
            },
        );
        let commits = self.api("fetch the commit list", |c| {
            Box::pin(c.commit_list(options.days))
        })?;
        say(reporter, BackfillNotice::CommitsListed(commits.len()));
        if commits.is_empty() {
            say(reporter, BackfillNotice::NoCommits);
            return Ok(());
        }
        let (ids, presigned) = self.preflight(output.is_some(), reporter)?;
        let git = Git {
            dir: cwd.to_path_buf(),
        };
        let collected = collect(&git, &commits, options, reporter)?;
        if collected.records.is_empty() {
            say(reporter, BackfillNotice::NoneLocal);
            return Ok(());
        }
        let (exported, skipped) = (collected.records.len(), collected.skipped);
        let stamp = Stamp::now();
        let meta = self.metadata(ids, options, &collected, &stamp);
        let path = match output {
            Some(path) => path.to_path_buf(),
            None => {
                std::env::temp_dir().join(format!("bktec-commit-metadata-{}.tar.gz", stamp.compact))
            }
        };
        write_archive(&path, &collected, &meta, &stamp, reporter)?;
        match output {
            Some(path) => say(reporter, BackfillNotice::Wrote(path)),
            None => self.upload(&path, presigned, reporter)?,
        }
        say(reporter, BackfillNotice::Done { exported, skipped });
        Ok(())
    }

    /// The suite's ids, and the presigned upload unless `local`: asked
    /// before the git work, so that a token without `write_suites` fails
    /// fast; with `--output` nothing is uploaded, so the suite's ids are
    /// read instead (the Go client's order).
    fn preflight(
        &mut self,
        local: bool,
        reporter: &mut Reporter,
    ) -> Result<((String, String), Option<PresignedUpload>), BackfillError> {
        let (ids, presigned) = if local {
            let suite = self.api("get the suite", |c| Box::pin(c.suite_ids()))?;
            ((suite.organization_id, suite.id), None)
        } else {
            say(reporter, BackfillNotice::Presigning);
            let p = self.api("presign the upload", |c| Box::pin(c.presign_backfill()))?;
            ((p.organization_id.clone(), p.suite_id.clone()), Some(p))
        };
        if ids.0.is_empty() || ids.1.is_empty() {
            return Err(BackfillError::MissingIds);
        }
        Ok((ids, presigned))
    }

    /// Runs one API call.
    fn api<T>(
        &mut self,
        step: &'static str,
        call: impl FnOnce(
            &mut ApiClient,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<T, ApiError>> + '_>>,
    ) -> Result<T, BackfillError> {
        let Backfill {
            client,
            runtime,
            signals,
            ..
        } = self;
        until_signal(runtime, signals, call(client))?.map_err(|source| BackfillError::Api {
            step,
            error: source,
        })
    }

    /// Posts the archive with `form`.
    fn post(
        &mut self,
        path: &Path,
        form: &crate::api::UploadForm,
    ) -> Result<Result<(), UploadError>, BackfillError> {
        until_signal(&self.runtime, &mut self.signals, upload_archive(path, form))
    }

    fn metadata(
        &self,
        (organization_uuid, suite_uuid): (String, String),
        options: &CollectOptions,
        collected: &Collected,
        stamp: &Stamp,
    ) -> ArchiveMetadata {
        let (min, max) = collected.dates.clone().unzip();
        ArchiveMetadata {
            schema_version: 2,
            tool: "bktec",
            tool_version: crate::VERSION,
            generated_at: stamp.rfc3339.clone(),
            organization_slug: self.connection.organization.clone(),
            suite_slug: self.connection.suite.clone(),
            organization_uuid,
            suite_uuid,
            commit_count: collected.records.len(),
            skipped_commits: collected.skipped,
            days: options.days,
            remote: options.remote.clone(),
            skipped_diffs: options.skip_diffs,
            min_commit_date: min,
            max_commit_date: max,
        }
    }

    /// Uploads the archive at `path` with `presigned` (asked for now when
    /// `None`); a 403 from storage gets one fresh form. An archive this run
    /// made is removed once uploaded and kept, with the way to retry said,
    /// when the upload fails.
    fn upload(
        &mut self,
        path: &Path,
        presigned: Option<PresignedUpload>,
        reporter: &mut Reporter,
    ) -> Result<(), BackfillError> {
        let made_here = presigned.is_some();
        let presigned = match presigned {
            Some(p) => p,
            None => {
                say(reporter, BackfillNotice::Presigning);
                self.api("presign the upload", |c| Box::pin(c.presign_backfill()))?
            }
        };
        say(reporter, BackfillNotice::Uploading);
        let mut result = match self.post(path, &presigned.form) {
            Ok(result) => result,
            Err(stopped) => return kept(path, made_here, stopped, reporter),
        };
        let mut uri = presigned.uri;
        if let Err(UploadError::Forbidden { .. }) = result {
            say(reporter, BackfillNotice::RetryingForbidden);
            let fresh = self.api("refresh the presigned upload", |c| {
                Box::pin(c.presign_backfill())
            });
            result = match fresh {
                Ok(fresh) => {
                    uri = fresh.uri;
                    match self.post(path, &fresh.form) {
                        Ok(result) => result,
                        Err(stopped) => return kept(path, made_here, stopped, reporter),
                    }
                }
                Err(err) => return kept(path, made_here, err, reporter),
            };
        }
        match result {
            Ok(()) => {
                say(reporter, BackfillNotice::Uploaded { path, uri: &uri });
                if made_here {
                    let _ = std::fs::remove_file(path);
                }
                Ok(())
            }
            Err(source) => {
                let err = BackfillError::Upload {
                    path: path.to_path_buf(),
                    source,
                };
                kept(path, made_here, err, reporter)
            }
        }
    }
}

/// An archive given to `--upload` must be one this command writes, for
/// the suite it is uploaded to: the upload is scoped to the suite, and the
/// file goes to storage as it is.
fn check_archive(path: &Path, connection: &Connection) -> Result<(), BackfillError> {
    let facts = crate::backfill::inspect(path).map_err(BackfillError::NotAnArchive)?;
    let archive = format!("{}/{}", facts.organization_slug, facts.suite_slug);
    let given = format!("{}/{}", connection.organization, connection.suite);
    if archive != given {
        return Err(BackfillError::OtherSuite {
            path: path.to_path_buf(),
            archive,
            given,
        });
    }
    Ok(())
}

/// Runs `future` to its end, or until a signal that ends bktec arrives.
fn until_signal<F: Future>(
    runtime: &tokio::runtime::Runtime,
    signals: &mut Signals,
    future: F,
) -> Result<F::Output, BackfillError> {
    runtime.block_on(async {
        tokio::select! {
            biased;
            signal = signals.next_cancel() => Err(BackfillError::Stopped { signal }),
            output = future => Ok(output),
        }
    })
}

fn say(reporter: &mut Reporter, notice: BackfillNotice<'_>) {
    reporter.notice(Notice::Backfill(notice));
}

/// Says where the archive of a failed upload is kept, and how to retry.
fn kept(
    path: &Path,
    made_here: bool,
    err: BackfillError,
    reporter: &mut Reporter,
) -> Result<(), BackfillError> {
    if made_here {
        say(reporter, BackfillNotice::Kept(path));
    }
    Err(err)
}

/// Runs the git half, saying its steps.
fn collect(
    git: &Git,
    commits: &[String],
    options: &CollectOptions,
    reporter: &mut Reporter,
) -> Result<Collected, BackfillError> {
    let mut progress = |step: Progress| {
        let notice = match &step {
            Progress::DefaultBranch(branch) => BackfillNotice::DefaultBranch(branch),
            Progress::Fetching(count) => BackfillNotice::FetchingMissing {
                count: *count,
                remote: &options.remote,
            },
            Progress::Unfetchable(n) => BackfillNotice::Unfetchable(*n),
            Progress::Missing(n) => BackfillNotice::Missing(*n),
            Progress::Processing(n) => BackfillNotice::Processing(*n),
            Progress::Malformed(n) => BackfillNotice::Malformed(*n),
        };
        say(reporter, notice);
    };
    crate::backfill::collect(git, commits, options, &mut progress).map_err(BackfillError::Git)
}

/// Writes the archive to `path` through a temporary file beside it, so an
/// interrupted write leaves no half archive under the name.
fn write_archive(
    path: &Path,
    collected: &Collected,
    meta: &ArchiveMetadata,
    stamp: &Stamp,
    reporter: &mut Reporter,
) -> Result<(), BackfillError> {
    let fail = |source| {
        BackfillError::Archive(ArchiveError {
            path: path.to_path_buf(),
            source,
        })
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".bktec-commit-metadata-")
        .tempfile_in(dir)
        .map_err(fail)?;
    crate::backfill::write(
        temp.path(),
        &collected.records,
        meta,
        &stamp.compact,
        stamp.secs,
    )
    .map_err(BackfillError::Archive)?;
    temp.persist(path).map_err(|e| fail(e.error))?;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    say(reporter, BackfillNotice::Packaged(size));
    Ok(())
}

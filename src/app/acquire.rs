//! Plan acquisition, the one stage `run` and `plan` share (issue 18): a
//! plan file, the local split with or without timing history (D20, D31),
//! or Test Engine's plan with its classified fallback (4.2, 4.5, 11.1).
//! Every way a plan can come is one [`PlanOrigin`].

use super::Context;
use super::connect::{api_client, tokens};
use super::error::BktecError;
use super::local::{LocalSplit, plan_locally};
use super::report_back::Server;
use super::request::{build_request, collects_git_metadata};
use super::session::Session;
use crate::api::{self, ApiClient, ApiError, PlanLookup, PlanSource, acquire_plan};
use crate::config::elements::Secret;
use crate::config::registry::CommandKind;
use crate::config::resolve::{ApiSettings, PlanMode};
use crate::config::{EnvSnapshot, EnvVars, RunSettings};
use crate::discover::Discovery;
use crate::events::{Notice, PlanNotice, PlanOrigin, RunEvent};
use crate::git::{self, GitContext, GitNote};
use crate::plan::{TestPlan, read_plan_file};
use crate::runner::Runner;

/// What the command asks of Test Engine, beyond the targets.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ask {
    /// `run` (4.5): the cached plan of the identifier first, and this job's
    /// `BUILDKITE_RETRY_COUNT` with the lookup.
    CachedFirst,
    /// `plan` (11.1): always create, with the plan command's extras.
    Create {
        /// `--max-parallelism`; 0 leaves it to the server.
        max_parallelism: i64,
        /// `--target-time`, in seconds.
        target_time: f64,
    },
}

/// What acquisition needs besides the settings and the targets.
pub(super) struct PlanInputs<'a> {
    /// How Test Engine is asked.
    pub(super) ask: Ask,
    /// How many jobs a local plan has when Test Engine gives none.
    pub(super) fallback_jobs: u32,
    /// The runner, when the plan needs it: to list the examples of files
    /// that Test Engine or the local split divides.
    pub(super) runner: Option<&'a Runner>,
    /// Whether this run creates the durations file (`--store-durations`).
    pub(super) creates_history: bool,
}

/// A plan, where it came from, and what came with it.
pub(super) struct Acquired {
    /// The plan of every job.
    pub(super) plan: TestPlan,
    /// Where it came from.
    pub(super) origin: PlanOrigin,
    /// The Test Engine connection of a server plan: metadata is posted at
    /// the end of a run.
    pub(super) server: Option<Server>,
    /// An upload token minted while connecting.
    pub(super) minted_upload_token: Option<Secret>,
    /// The body of Test Engine's create-plan answer, as it was sent.
    pub(super) raw: Option<Vec<u8>>,
}

/// How a stage ended when it did not hand on its result.
pub(super) enum Stop {
    /// A signal arrived: the command ends with 128 + n (D15).
    Signal(i32),
}

/// Gets the plan of every job, reporting how.
pub(super) fn acquire(
    context: &Context,
    session: &mut Session,
    settings: &RunSettings,
    discovery: Option<&Discovery>,
    inputs: PlanInputs<'_>,
) -> Result<Result<Acquired, Stop>, BktecError> {
    if let Some(file) = &settings.plan_file {
        let plan = read_plan_file(&file.value, file.origin.describe(), settings.parallelism)
            .map_err(BktecError::PlanFile)?;
        return Ok(Ok(Acquired::local(
            plan,
            PlanOrigin::File(file.value.clone()),
        )));
    }
    let discovery = discovery.expect("targets are discovered when there is no plan file");
    let api = match &settings.mode {
        PlanMode::Local => {
            session.report(RunEvent::PlanningLocally {
                files: discovery.targets.len(),
                jobs: settings.parallelism,
                job: (settings.command == CommandKind::Run).then_some(settings.node_index),
            });
            let split = inputs.split(settings.parallelism);
            let plan = local(context, session, settings, discovery, split)?;
            return Ok(Ok(Acquired::local(plan, PlanOrigin::Local)));
        }
        PlanMode::TestEngine(api) => api,
    };
    from_test_engine(context, session, settings, api, discovery, inputs)
}

/// Test Engine's plan, or the local one when it cannot give one (4.2).
fn from_test_engine(
    context: &Context,
    session: &mut Session,
    settings: &RunSettings,
    api: &ApiSettings,
    discovery: &Discovery,
    inputs: PlanInputs<'_>,
) -> Result<Result<Acquired, Stop>, BktecError> {
    let tokens = tokens(settings, api)?;
    let mut client = api_client(
        api,
        settings.api_retry,
        tokens.access,
        settings.debug,
        session.reporter.color(),
    )?;
    let git = git_context(&context.env, api);
    let acquired = match ask(
        session,
        settings,
        api,
        &mut client,
        discovery,
        &inputs,
        &git,
    ) {
        Ok(acquired) => acquired.map_err(BktecError::Api)?,
        Err(signal) => return Ok(Err(Stop::Signal(signal))),
    };
    let reason = match acquired.source {
        PlanSource::Server(plan) => {
            session.report(RunEvent::SplitSummary(&plan));
            return Ok(Ok(Acquired {
                origin: PlanOrigin::TestEngine {
                    identifier: plan.identifier.clone(),
                },
                plan,
                server: Some(Server {
                    client,
                    api: Box::new(api.clone()),
                }),
                minted_upload_token: tokens.upload,
                raw: acquired.raw,
            }));
        }
        PlanSource::Fallback { reason } => reason,
    };
    session.report(RunEvent::Fallback(&reason));
    let split = inputs.split(inputs.fallback_jobs);
    let mut plan = local(context, session, settings, discovery, split)?;
    plan.identifier = api.plan_identifier.clone();
    Ok(Ok(Acquired {
        minted_upload_token: tokens.upload,
        ..Acquired::local(plan, PlanOrigin::Fallback { reason })
    }))
}

/// Asks Test Engine for the plan (4.5, 11.1), until a signal arrives.
fn ask(
    session: &mut Session,
    settings: &RunSettings,
    api: &ApiSettings,
    client: &mut ApiClient,
    discovery: &Discovery,
    inputs: &PlanInputs<'_>,
    git: &GitContext,
) -> Result<Result<api::Acquired, ApiError>, i32> {
    let lookup = match inputs.ask {
        Ask::CachedFirst => PlanLookup::CachedFirst {
            identifier: &api.plan_identifier,
            job_retry_count: settings.job.job_retry_count,
            jobs: settings.parallelism,
        },
        Ask::Create { .. } => PlanLookup::CreateOnly,
    };
    let (runner, files, ask) = (inputs.runner, &discovery.targets, inputs.ask);
    let collects = collects_git_metadata(&api.selection, matches!(ask, Ask::Create { .. }));
    let mut notes: Vec<GitNote> = Vec::new();
    let acquired = session.until_signal(acquire_plan(
        client,
        lookup,
        async |client: &mut ApiClient| {
            // D40: collected only when a plan is created (for `run`, on a
            // cache miss), as the Go client does.
            let collected = match collects {
                true => Some(git::collect(git).map_err(|err| ApiError::Examples(Box::new(err)))?),
                false => None,
            };
            let mut request = build_request(client, settings, api, runner, files).await?;
            if let Some(collected) = collected {
                notes = collected.notes;
                request.metadata = git::merge(&api.selection.metadata, collected.metadata);
            }
            if let Ask::Create {
                max_parallelism,
                target_time,
            } = ask
            {
                request.max_parallelism = max_parallelism;
                request.target_time = target_time;
            }
            Ok(request)
        },
    ));
    for note in &notes {
        session
            .reporter
            .notice(Notice::Plan(PlanNotice::GitMetadata(note)));
    }
    acquired
}

/// What the preview's git metadata collection reads besides the
/// repository (D40): the Buildkite variables as the Go client reads them
/// (from the environment, not from flags).
fn git_context(env: &EnvSnapshot, api: &ApiSettings) -> GitContext {
    let var = |name| env.non_empty(name).map(str::to_string);
    GitContext {
        explicit_base: api
            .selection
            .metadata
            .iter()
            .find(|(k, _)| k == "base_branch")
            .map(|(_, v)| v.clone()),
        remote: api.selection.remote.clone(),
        pull_request_base: var(EnvVars::BUILDKITE_PULL_REQUEST_BASE_BRANCH),
        buildkite_branch: var(EnvVars::BUILDKITE_BRANCH),
        pipeline_slug: var(EnvVars::BUILDKITE_PIPELINE_SLUG),
        build_id: var(EnvVars::BUILDKITE_BUILD_ID),
    }
}

/// The local split of the targets over `jobs` (D20, D31).
fn local(
    context: &Context,
    session: &mut Session,
    settings: &RunSettings,
    discovery: &Discovery,
    split: LocalSplit<'_>,
) -> Result<TestPlan, BktecError> {
    let mut plan = plan_locally(context, settings, discovery, split, session.reporter)?;
    plan.identifier = settings.plan_identifier.clone();
    Ok(plan)
}

impl PlanInputs<'_> {
    /// The local split over `jobs`.
    fn split(&self, jobs: u32) -> LocalSplit<'_> {
        LocalSplit {
            jobs,
            runner: self.runner,
            creates_history: self.creates_history,
        }
    }
}

impl Acquired {
    /// A plan made here, or read from a file.
    fn local(plan: TestPlan, origin: PlanOrigin) -> Acquired {
        Acquired {
            plan,
            origin,
            server: None,
            minted_upload_token: None,
            raw: None,
        }
    }
}

//! The event contract (S11, issue 18): everything the stages say, as data,
//! and every type the reporter may read. A leaf for the stages: `execute/`
//! emits attempt events and builds the outcome, `app/` emits run events and
//! notices, and `report/` words them, reading nothing of the stages but
//! what this module exposes. The errors and values the events carry are
//! re-exported here, so the contract names them once.

mod attempt;
mod backfill;
mod notice;
mod outcome;
mod run;

pub(crate) use attempt::{AttemptError, AttemptEvent, AttemptExit, RetryData};
pub(crate) use backfill::BackfillNotice;
pub(crate) use notice::{FileNotice, Notice, PlanNotice};
pub(crate) use outcome::{
    AttemptFacts, Interrupted, JUnitOut, ListingFact, ResultsFact, RunEnd, RunOutcome, StopReason,
    Unproven, Verdict,
};
pub(crate) use run::{DurationsStored, PlanOrigin, RunEvent};

pub(crate) use crate::agent::{AnnotateError, PromiseError};
pub(crate) use crate::api::{ApiNotice, FallbackReason, Notify, TimelineEvent};
pub(crate) use crate::config::Origin;
pub(crate) use crate::config::elements::RunnerKind;
pub(crate) use crate::plan::PlanNote;

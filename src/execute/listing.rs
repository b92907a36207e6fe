//! The per-test proof of runners other than pytest (D37): before the first
//! attempt the runner lists the tests its targets hold with its own tool
//! and the test command's own options, and after the last every listed test
//! must have a result. A filter in the runner's configuration that hides a
//! test, a dry run or a stream cut short all leave listed tests without one.

use std::collections::HashSet;
use std::time::Instant;

use super::retry_loop::{AttemptError, AttemptEvent, AttemptRunner};
use crate::events::ListingFact;
use crate::results::{RunResult, TestResult};
use crate::runner::Listed;

/// What the runner listed before the first attempt.
pub(super) struct Roster {
    tool: &'static str,
    tests: Result<Vec<String>, AttemptError>,
    key: fn(&TestResult) -> Option<String>,
}

/// The tests the runner lists for `targets` before the first attempt, with
/// the event that says how many and how long it took.
pub(super) async fn list_first(
    runner: &mut impl AttemptRunner,
    targets: &[String],
    events: &mut dyn FnMut(AttemptEvent),
) -> Option<Roster> {
    let started = Instant::now();
    let Listed { tool, tests, key } = runner.list_tests(targets).await?;
    let tests = tests.map_err(AttemptError::new);
    match &tests {
        Ok(tests) => events(AttemptEvent::Listed {
            tool,
            tests: tests.len(),
            elapsed: started.elapsed(),
        }),
        Err(error) => events(AttemptEvent::ListingFailed {
            tool,
            error: error.clone(),
        }),
    }
    Some(Roster { tool, tests, key })
}

/// What the listing proves of `record`: which listed tests have no result
/// in any attempt.
pub(super) fn listing_fact(roster: Option<&Roster>, record: &RunResult) -> ListingFact {
    let Some(roster) = roster else {
        return ListingFact::PerFile;
    };
    let tests = match &roster.tests {
        Ok(tests) => tests,
        Err(error) => {
            return ListingFact::Failed {
                tool: roster.tool,
                error: error.clone(),
            };
        }
    };
    let answered: HashSet<String> = record.results().filter_map(roster.key).collect();
    // A listing that named nothing while the run reported tests did not
    // list what ran (flags it read that the run never got): no proof.
    if tests.is_empty() && !answered.is_empty() {
        return ListingFact::Failed {
            tool: roster.tool,
            error: AttemptError::new(ListedNothing(answered.len())),
        };
    }
    ListingFact::Listed {
        tool: roster.tool,
        listed: tests.len(),
        unreported: tests
            .iter()
            .filter(|test| !answered.contains(*test))
            .cloned()
            .collect(),
    }
}

/// The listing named no test, while the run reported some.
#[derive(Debug, thiserror::Error)]
#[error("it listed no test, while the run reported {0}: the listing and the run disagree")]
struct ListedNothing(usize);

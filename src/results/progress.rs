//! What a witness saw start and end while the run went on (D48): a line
//! each, `start<TAB>node id` and `end<TAB>node id<TAB>outcome`, flushed as
//! it happens, so that a run ended by a cancel or a deadline can still say
//! which tests passed, which failed and which were running.

use std::path::Path;

use crate::input::{RESULT_FILE, read_regular};

/// The tests a run was seen to start and end, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The tests that passed.
    pub passed: Vec<String>,
    /// The tests that failed.
    pub failed: Vec<String>,
    /// The tests that started and had not ended.
    pub running: Vec<String>,
}

impl Progress {
    /// Reads a progress file; `None` when there is none. A line cut short
    /// by the end of the run, or one bktec does not know, is passed over.
    pub fn read(path: &Path) -> Option<Progress> {
        let bytes = read_regular(path, RESULT_FILE).ok()?;
        Some(Progress::parse(&String::from_utf8_lossy(&bytes)))
    }

    /// The progress `text` records.
    pub fn parse(text: &str) -> Progress {
        let mut running: Vec<String> = Vec::new();
        let mut progress = Progress::default();
        // The last line may have been cut short mid-write.
        let complete = text.rsplit_once('\n').map_or("", |(lines, _)| lines);
        for line in complete.lines() {
            let mut fields = line.split('\t');
            match (fields.next(), fields.next(), fields.next()) {
                (Some("start"), Some(test), None) => running.push(test.to_string()),
                (Some("end"), Some(test), Some(outcome)) => {
                    running.retain(|t| t != test);
                    let list = match outcome {
                        "failed" => &mut progress.failed,
                        "passed" => &mut progress.passed,
                        _ => continue,
                    };
                    if !list.iter().any(|t| t == test) {
                        list.push(test.to_string());
                    }
                }
                _ => {}
            }
        }
        progress.running = running;
        progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_tests_are_those_that_started_and_never_ended() {
        let text = "start\ta.py::t1\nend\ta.py::t1\tpassed\nstart\ta.py::t2\n\
                    end\ta.py::t2\tfailed\nstart\ta.py::t3\nend\ta.py::t4\tskipped\n\
                    start\tb.py::cut";
        let progress = Progress::parse(text);
        assert_eq!(progress.passed, ["a.py::t1"]);
        assert_eq!(progress.failed, ["a.py::t2"]);
        // The last line was cut short: it is not read.
        assert_eq!(progress.running, ["a.py::t3"]);
        assert_eq!(Progress::parse(""), Progress::default());
    }
}

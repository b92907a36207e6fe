//! The split summary (behaviour document 10.3).

use std::fmt::Write;

use crate::plan::{FormatTiming, TestFormat, TestPlan};

/// How many tests of one format a plan holds, and how many of them have
/// timing history.
#[derive(Default, Clone, Copy)]
struct Count {
    total: usize,
    known: usize,
}

/// The nouns of the formats, in the order the summary lists them.
const NOUNS: [&str; 3] = ["file", "example", "selector"];

/// The index of `format` in [`NOUNS`].
fn index(format: TestFormat) -> usize {
    match format {
        TestFormat::File => 0,
        TestFormat::Example => 1,
        TestFormat::Selector => 2,
    }
}

/// The split summary of a server plan, or `None` when there is nothing to
/// say (no timing metadata, or no tests).
pub(crate) fn split_summary(plan: &TestPlan) -> Option<String> {
    let metadata = plan.timing_metadata.as_ref()?;
    let counts = count_by_format(plan);
    let total: usize = counts.iter().map(|c| c.total).sum();
    if total == 0 {
        return None;
    }
    let present: Vec<usize> = (0..NOUNS.len()).filter(|&i| counts[i].total > 0).collect();
    let mixed = present.len() > 1;
    let noun = if mixed { "test" } else { NOUNS[present[0]] };
    let mut out = String::from("\n+++ Buildkite Test Engine Client: 📊 Split summary\n");
    let _ = writeln!(
        out,
        "{total} {} across {} {}",
        plural(noun, total),
        plan.parallelism,
        plural("node", plan.parallelism as usize)
    );
    let timings = [metadata.file, metadata.example, metadata.selector];
    if timings.iter().all(Option::is_none) {
        out.push('\n');
        return Some(out);
    }
    for i in present {
        format_lines(&mut out, NOUNS[i], counts[i], timings[i], mixed);
    }
    out.push('\n');
    let selectors = counts[index(TestFormat::Selector)];
    if metadata
        .selector
        .is_some_and(|s| s.median_duration.is_none())
        && selectors.total > 0
        && selectors.known == 0
    {
        out.push_str(SELECTOR_DEFAULTS_WARNING);
    }
    Some(out)
}

/// The tests of every task of `plan`, counted by format.
fn count_by_format(plan: &TestPlan) -> [Count; 3] {
    let mut counts = [Count::default(); 3];
    for test in plan.tasks.values().flat_map(|task| &task.tests) {
        let count = &mut counts[index(test.format.unwrap_or_default())];
        count.total += 1;
        if test.timing_sample_size.unwrap_or(0) > 0 {
            count.known += 1;
        }
    }
    counts
}

/// The lines of one format: how many of its tests were estimated from
/// history and how many were not, with the duration assumed for those. In
/// a plan of several formats they stand under a heading naming the format.
fn format_lines(
    out: &mut String,
    noun: &str,
    Count { total, known }: Count,
    timing: Option<FormatTiming>,
    mixed: bool,
) {
    let width = total.to_string().len();
    let indent = if mixed {
        let _ = writeln!(out, "  {total} {}", plural(noun, total));
        "    "
    } else {
        "  "
    };
    let label = |n: usize| {
        if mixed {
            format!("{n:>width$}")
        } else {
            format!("{n:>width$} {}", plural(noun, n))
        }
    };
    if known == 0 {
        let default = timing
            .map(|t| format!(" ({})", duration(t.default_duration)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{indent}{} (100%) had no history and used the default duration{default}",
            label(total)
        );
        return;
    }
    let _ = writeln!(
        out,
        "{indent}{} ({}) estimated from past historical durations",
        label(known),
        percent(known, total)
    );
    let unknown = total - known;
    if unknown > 0 {
        let median = timing
            .and_then(|t| t.median_duration)
            .map(|m| format!(" — assumed median ({})", duration(m)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{indent}{} ({}) had no history{median}",
            label(unknown),
            percent(unknown, total)
        );
    }
}

/// What the summary adds when selectors were split by default durations.
const SELECTOR_DEFAULTS_WARNING: &str = "⚠️ Selector splitting used default durations because no historical selector timings were found.\n\
Run the tests once with a test collector that reports selector timings so that later splits are balanced\n\
(Ruby buildkite-test_collector v2.14.0+, JavaScript buildkite-test-collector v1.10.0+,\n\
or Python's buildkite-test-collector for pytest).\n";

fn plural(noun: &str, n: usize) -> String {
    if n == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// `n/total` as a percentage with at most one decimal (10.3).
fn percent(n: usize, total: usize) -> String {
    let tenths = ((n as f64 / total as f64) * 1000.0).round() as i64;
    if tenths == 0 && n > 0 {
        return "<0.1%".to_string();
    }
    if tenths == 1000 && n < total {
        return ">99.9%".to_string();
    }
    if tenths % 10 == 0 {
        format!("{}%", tenths / 10)
    } else {
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

/// Milliseconds as `850ms` or `1.2s`.
fn duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{}ms", ms.round() as i64)
    } else {
        format!("{:.1}s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::TestCase;
    use crate::plan::{Task, TimingMetadata};

    fn test(format: TestFormat, known: bool) -> TestCase {
        TestCase {
            path: "x".into(),
            format: Some(format),
            timing_sample_size: Some(u64::from(known)),
            ..TestCase::default()
        }
    }

    #[test]
    fn matches_the_documented_example() {
        let mut tests = Vec::new();
        tests.extend((0..90).map(|_| test(TestFormat::File, true)));
        tests.extend((0..10).map(|_| test(TestFormat::File, false)));
        tests.extend((0..30).map(|_| test(TestFormat::Example, false)));
        let plan = TestPlan {
            parallelism: 4,
            tasks: [(
                "0".to_string(),
                Task {
                    node_number: 0,
                    tests,
                },
            )]
            .into(),
            timing_metadata: Some(TimingMetadata {
                file: Some(FormatTiming {
                    median_duration: Some(1200.0),
                    default_duration: 1000.0,
                }),
                example: Some(FormatTiming {
                    median_duration: None,
                    default_duration: 1000.0,
                }),
                selector: None,
            }),
            ..TestPlan::default()
        };
        let want = "
+++ Buildkite Test Engine Client: 📊 Split summary
130 tests across 4 nodes
  100 files
     90 (90%) estimated from past historical durations
     10 (10%) had no history — assumed median (1.2s)
  30 examples
    30 (100%) had no history and used the default duration (1.0s)

";
        assert_eq!(split_summary(&plan).unwrap(), want);
    }

    #[test]
    fn percentages_and_durations() {
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(9, 10), "90%");
        assert_eq!(percent(1, 10_000), "<0.1%");
        assert_eq!(percent(9_999, 10_000), ">99.9%");
        assert_eq!(duration(850.4), "850ms");
        assert_eq!(duration(1234.0), "1.2s");
    }
}

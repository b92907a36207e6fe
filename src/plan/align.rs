//! Matching timing history to targets (D31). The history names tests by
//! pytest node id, relative to pytest's rootdir; targets are relative to the
//! working directory. The two differ when the rootdir (where `pytest.ini`
//! or `pyproject.toml` is) lies above or below the working directory, and
//! when a pattern yields `./tests/test_a.py`. Without this, such a project
//! would plan blind to time, silently.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::durations::Durations;
use super::timed::file_of;

/// A path without leading `./` components: the key under which targets
/// and node ids are compared.
pub(crate) fn plain(path: &str) -> &str {
    let mut path = path;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.trim_start_matches('/');
    }
    path
}

/// How history node ids were rewritten to match the targets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Shift {
    /// They match as they are.
    None,
    /// The working directory is `dir` below pytest's rootdir: `dir/` is
    /// taken off the front of node ids.
    Strip(String),
    /// pytest's rootdir is `dir` below the working directory: `dir/` is put
    /// in front of node ids.
    Prepend(String),
}

/// The history keyed as targets are: each node id (`./` removed) shifted by
/// the one [`Shift`] under which the most target files have history.
#[derive(Debug)]
pub(crate) struct Aligned<'a> {
    /// Node id, relative to the working directory, to seconds; `None` when
    /// the history's own ids are that already (the common case: no shift and
    /// no `./`), which are then used as they are.
    rekeyed: Option<HashMap<Cow<'a, str>, f64>>,
    history: &'a Durations,
    /// The shift applied.
    pub shift: Shift,
}

/// Aligns `history` with `targets`. The shift is chosen by votes: each
/// target file that a shifted history file equals votes for that shift; no
/// shift wins ties, then the shorter directory, then the first by name, so
/// every job chooses the same.
pub(crate) fn align<'a>(history: &'a Durations, targets: &[String]) -> Aligned<'a> {
    let target_files: HashSet<&str> = targets.iter().map(|t| plain(file_of(t))).collect();
    // Sorted ids keep a file's tests together: one lookup per run of them.
    let mut history_files: HashSet<&str> = HashSet::new();
    let mut last = None;
    for (id, _) in history.iter() {
        let file = plain(file_of(id));
        if last != Some(file) {
            history_files.insert(file);
            last = Some(file);
        }
    }

    let direct = target_files
        .iter()
        .filter(|f| history_files.contains(*f))
        .count();
    let mut votes: BTreeMap<(usize, Shift), usize> = BTreeMap::new();
    // When every target file has history as it is, no shift can do better.
    let all_direct = direct == target_files.len();
    // The working directory below the rootdir: a history file is
    // `dir/<target>`.
    for file in history_files.iter().filter(|_| !all_direct) {
        for (i, _) in file.match_indices('/') {
            if target_files.contains(&file[i + 1..]) {
                *votes
                    .entry((i, Shift::Strip(file[..i].to_string())))
                    .or_default() += 1;
            }
        }
    }
    // The rootdir below the working directory: a target is `dir/<history file>`.
    for file in target_files.iter().filter(|_| !all_direct) {
        for (i, _) in file.match_indices('/') {
            if history_files.contains(&file[i + 1..]) {
                *votes
                    .entry((i, Shift::Prepend(file[..i].to_string())))
                    .or_default() += 1;
            }
        }
    }
    // Most votes; among equals the shorter directory, then by name.
    let best = votes
        .into_iter()
        .max_by(|((a_len, a), a_votes), ((b_len, b), b_votes)| {
            a_votes
                .cmp(b_votes)
                .then_with(|| b_len.cmp(a_len))
                .then_with(|| b.cmp(a))
        })
        .filter(|(_, votes)| *votes > direct)
        .map(|((_, shift), _)| shift);
    let shift = best.unwrap_or(Shift::None);

    let as_is = shift == Shift::None && history.iter().all(|(id, _)| !id.starts_with("./"));
    let rekeyed = (!as_is).then(|| {
        history
            .iter()
            .filter_map(|(id, seconds)| {
                let id = match shift {
                    Shift::None => Cow::Borrowed(plain(id)),
                    _ => Cow::Owned(shift.apply(id)?),
                };
                Some((id, seconds))
            })
            .collect()
    });
    Aligned {
        rekeyed,
        history,
        shift,
    }
}

impl Aligned<'_> {
    /// The seconds of `id` (relative to the working directory, `./` removed).
    pub(crate) fn get(&self, id: &str) -> Option<f64> {
        match &self.rekeyed {
            Some(map) => map.get(id).copied(),
            None => self.history.get(id),
        }
    }

    /// Every node id (relative to the working directory) and its seconds.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = (&str, f64)> + '_> {
        match &self.rekeyed {
            Some(map) => Box::new(map.iter().map(|(id, s)| (id.as_ref(), *s))),
            None => Box::new(self.history.iter()),
        }
    }

    /// How many tests have a duration.
    pub(crate) fn len(&self) -> usize {
        self.rekeyed
            .as_ref()
            .map_or_else(|| self.history.len(), HashMap::len)
    }
}

impl Shift {
    /// `id` (`./` removed) relative to the working directory; `None` when
    /// it lies outside it.
    pub(crate) fn apply(&self, id: &str) -> Option<String> {
        let id = plain(id);
        Some(match self {
            Shift::None => id.to_string(),
            Shift::Strip(dir) => id
                .strip_prefix(dir.as_str())?
                .strip_prefix('/')?
                .to_string(),
            Shift::Prepend(dir) => format!("{dir}/{id}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(ids: &[&str]) -> Durations {
        Durations::from_pairs(ids.iter().map(|id| (id.to_string(), 1.0)))
    }

    fn targets(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn keys<'a>(aligned: &'a Aligned<'_>) -> Vec<&'a str> {
        let mut keys: Vec<&str> = aligned.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn leading_dot_slashes_do_not_matter() {
        assert_eq!(plain("./tests/a.py"), "tests/a.py");
        assert_eq!(plain(".//./a.py::t"), "a.py::t");
        assert_eq!(plain(".hidden/a.py"), ".hidden/a.py");
        let h = history(&["./a.py::t"]);
        let a = align(&h, &targets(&["a.py"]));
        assert_eq!(keys(&a), ["a.py::t"]);
        assert_eq!(a.shift, Shift::None);
    }

    #[test]
    fn the_rootdir_above_the_working_directory_strips_its_directory() {
        // pytest.ini in the repository root, bktec run in `sub/`.
        let h = history(&["sub/tests/a.py::t", "sub/tests/b.py::t", "other/c.py::t"]);
        let a = align(&h, &targets(&["tests/a.py", "tests/b.py"]));
        assert_eq!(a.shift, Shift::Strip("sub".into()));
        assert_eq!(keys(&a), ["tests/a.py::t", "tests/b.py::t"]);
    }

    #[test]
    fn the_rootdir_below_the_working_directory_prepends_its_directory() {
        let h = history(&["tests/a.py::t", "tests/b.py::t"]);
        let a = align(&h, &targets(&["py/tests/a.py", "py/tests/b.py"]));
        assert_eq!(a.shift, Shift::Prepend("py".into()));
        assert_eq!(keys(&a), ["py/tests/a.py::t", "py/tests/b.py::t"]);
    }

    #[test]
    fn a_direct_match_wins_over_an_equal_shift() {
        // `a/x.py` matches directly; stripping `a` would match `x.py` once
        // too: no shift wins the tie.
        let h = history(&["a/x.py::t", "x.py::t"]);
        let a = align(&h, &targets(&["a/x.py"]));
        assert_eq!(a.shift, Shift::None);
        let a = align(&h, &targets(&["x.py", "a/x.py"]));
        assert_eq!(a.shift, Shift::None);
    }

    #[test]
    fn the_choice_does_not_depend_on_order() {
        let h = history(&["p/a.py::t", "q/a.py::t"]);
        let one = align(&h, &targets(&["a.py"]));
        let two = align(&h, &targets(&["a.py"]));
        assert_eq!(one.shift, two.shift);
        assert_eq!(one.shift, Shift::Strip("p".into()));
    }
}

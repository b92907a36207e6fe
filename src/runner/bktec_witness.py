"""bktec's witness: records what pytest selected and how every test ended.

bktec loads this plugin into the test command's pytest (through a
`pytest11` entry point on PYTHONPATH, and through PYTEST_PLUGINS when
plugin autoloading is off) and reads the file it writes after each attempt,
as evidence beside the result file (bktec decisions D23, D36). It records
teardown errors, which buildkite-test-collector reports as passes, the
selected tests that never reported (`pytest -x`, `pytest.exit`), how many
tests were deselected, the tests pytest's cache plugin deselected (`--lf`,
`--sw`) and the tests a hook dropped without deselecting them. It changes
nothing in the run, with one exception: when bktec discovered the tests
with pytest itself (`files.discovery = "pytest"`), it names the tests this
job was given (`BKTEC_WITNESS_ALLOW`), and the plugin deselects any other
test that naming a file collects (the test functions of a module that only
`--doctest-modules` reached, say), so that the jobs run exactly what a plain
`pytest` would. A given test that pytest no longer collects (a parametrize
id that differs between processes) is recorded as failed: it was lost, and
the run must not be green.

Only the session bktec started is watched. It claims the witness when it is
configured and takes bktec's variables out of the environment, so a pytest
session nested in it (pytester's `runpytest()` in the same process, or
`runpytest_subprocess()`) finds none and runs as it would without bktec.
pytest-xdist workers get what they need from the controller
(`workerinput`), and send what they saw back (`workeroutput`).

It also times what no test's duration holds alone (D52): importing and
collecting each module, and setting up fixtures wider than a function,
which pytest counts in the set-up of the test that first needed them. bktec
plans with these as each file's own cost and a job's start-up.
"""

import json
import os
import sys
import time

import pytest

_OUTPUT_VAR = "BKTEC_WITNESS"
_ALLOW_VAR = "BKTEC_WITNESS_ALLOW"
# The key under which the controller of pytest-xdist tells its workers that
# they work for bktec's session, and where the workers answer.
_XDIST_KEY = "bktec_witness"
_RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "failed": 2}
# The modules of pytest's cache plugin, whose selection depends on earlier
# runs: `--lf`, `--ff` and `--nf` (cacheprovider), `--sw` (stepwise).
_CACHE_MODULES = ("_pytest.cacheprovider", "_pytest.stepwise")
# The clocks, kept out of reach of a test that patches `time` (freezegun
# replaces module attributes that hold them, not the items of a tuple).
_CLOCKS = (time.perf_counter, time.time)


def _clock():
    return _CLOCKS[0]()


def _finite(costs):
    # A clock a test broke can give anything: only sane numbers are kept.
    return {
        key: value for key, value in costs.items()
        if isinstance(value, float) and value == value and -1e6 < value < 1e6
    }


# The collectors whose collection is a file's own cost (D52): importing a
# module, and collecting its classes.
_TIMED_COLLECTORS = tuple(
    kind for kind in (getattr(pytest, "Module", None), getattr(pytest, "Class", None)) if kind
)
# The modules a hook call passes through on its way from its caller.
_PASSING_THROUGH = (__name__, "_pytest.config.compat")


def _text(value):
    """`value` as text JSON can hold: a name that is not UTF-8 (held by
    Python with surrogate escapes) has its bad bytes written as `\\xNN`."""
    value = str(value)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")


def _key(item):
    """A test's name that does not depend on pytest's rootdir: its file's
    absolute path and the rest of its node id. The rootdir can change with
    the paths pytest is given (a setup.py in a sub-directory), and a file
    outside the rootdir can share its node id with one inside."""
    rest = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else ""
    return "%s::%s" % (_text(item.path), _text(rest))


def _called_by_cache_plugin():
    """Whether the hook being run was called by pytest's cache plugin: the
    first caller outside pluggy and this module."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name not in _PASSING_THROUGH and not name.startswith("pluggy"):
            return name in _CACHE_MODULES
        frame = frame.f_back
    return False


class _Allow:
    """Limits the run to the tests bktec gave it (discovery by pytest). Runs
    after every other hook that changes the selection, so that a test one of
    them drops counts as lost."""

    def __init__(self, allowed, lost):
        self.allowed = allowed
        self.lost = lost

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        keys = {key for key, _ in self.allowed}
        keep = [item for item in items if _key(item) in keys]
        drop = [item for item in items if _key(item) not in keys]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        collected = {_key(item) for item in keep}
        lost = [nodeid for key, nodeid in self.allowed if key not in collected]
        if lost:
            message = (
                "bktec: %d tests that discovery collected were not collected in "
                "this job, e.g. %s (are their parametrize ids the same in every "
                "process?)" % (len(lost), lost[0])
            )
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(message, red=True)
            self.lost(lost, message)


class _Selection:
    """What happened to the collected tests between collection and the
    run: deselected by the cache plugin, or dropped by a hook that did not
    deselect them (D36). Kept by the process that collects: the session, or
    each pytest-xdist worker."""

    def __init__(self, limited):
        # Under discovery by pytest the tests this job was given are known:
        # one dropped from them is lost (and failed) already, and any other
        # was dropped in discovery too.
        self.limited = limited
        self.collected = []
        self.deselected = set()
        self.cache_deselected = []

    def pytest_itemcollected(self, item):
        self.collected.append(_text(item.nodeid))

    def pytest_deselected(self, items):
        ids = [_text(item.nodeid) for item in items]
        self.deselected.update(ids)
        if _called_by_cache_plugin():
            self.cache_deselected.extend(ids)

    def dropped(self, items):
        if self.limited:
            return []
        kept = {_text(item.nodeid) for item in items}
        return [
            nodeid
            for nodeid in self.collected
            if nodeid not in kept and nodeid not in self.deselected
        ]


class _Worker(_Selection):
    """In a pytest-xdist worker of bktec's session: sends what it saw of the
    selection to the controller."""

    def __init__(self, config, limited):
        _Selection.__init__(self, limited)
        self.config = config
        self.items = []

    def pytest_collection_finish(self, session):
        self.items = list(session.items)

    def pytest_sessionfinish(self, session):
        self.config.workeroutput[_XDIST_KEY] = {
            "cache_deselected": self.cache_deselected,
            "dropped": self.dropped(self.items),
        }


class _Witness(_Selection):
    def __init__(self, config, output, allow):
        _Selection.__init__(self, allow is not None)
        self.config = config
        self.output = output
        self.allow = allow
        self.selected = None
        self.selected_paths = None
        self.selected_files = None
        self.dropped_tests = []
        self.deselected_count = 0
        self.outcomes = {}
        self.collect_errors = []
        self.unnamable = []
        self.from_workers = {"cache_deselected": set(), "dropped": set()}
        # D52: each file's own cost (import, collection, module- and
        # class-scoped fixtures) by the file part of its node ids, and the
        # set-up of fixtures wider than a function inside each test's time.
        self.file_costs = {}
        self.moved = {}
        self.current = None
        # Each test's span, from its start to the next test's start (the
        # last one's, to its end): its own time with what pytest and its
        # plugins do around it, which its reported duration leaves out.
        self.spans = {}
        self.started = None
        self.finished = None
        self.session_start = None
        self.session_fixtures = 0.0
        # Fixture set-ups under way, each with the time its inner set-ups
        # took, so that a fixture that asks for another is not counted twice.
        self.fixtures = []
        # Which tests started and ended, a line each as it happens, so that
        # a run ended by a cancel or a deadline can say what was running.
        self.progress = None
        try:
            self.progress = open(output + ".progress", "a", encoding="utf-8")
        except OSError:
            pass

    def _progress(self, *fields):
        if self.progress is not None:
            try:
                self.progress.write("\t".join(fields) + "\n")
                self.progress.flush()
            except (OSError, ValueError):
                self.progress = None

    def pytest_runtest_logstart(self, nodeid, location):
        now = _clock()
        if self.started is not None:
            previous, since = self.started
            self.spans[previous] = self.spans.get(previous, 0.0) + now - since
        self.started = (_text(nodeid), now)
        self.current = _text(nodeid)
        self._progress("start", _text(nodeid))

    def pytest_runtest_logfinish(self, nodeid, location):
        nodeid = _text(nodeid)
        self.current = None
        self.finished = _clock()
        self._progress("end", nodeid, self.outcomes.get(nodeid) or "passed")

    def pytest_sessionstart(self, session):
        # From the attempt's start to here is a job's start-up (D52).
        self.session_start = _CLOCKS[1]()

    def _spans(self):
        # The last test's span ends with it: what follows is the session's.
        if self.started is not None and self.finished is not None:
            last, since = self.started
            if self.finished >= since:
                self.spans[last] = self.spans.get(last, 0.0) + self.finished - since
            self.started = None
        return self.spans

    def _cost(self, file, seconds):
        self.file_costs[file] = self.file_costs.get(file, 0.0) + seconds

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        started = _clock()
        yield
        if isinstance(collector, _TIMED_COLLECTORS):
            file = _text(collector.nodeid).split("::")[0]
            self._cost(file, _clock() - started)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        started = _clock()
        self.fixtures.append(0.0)
        try:
            yield
        finally:
            inner = self.fixtures.pop()
            took = _clock() - started
            if self.fixtures:
                self.fixtures[-1] += took
            scope = getattr(fixturedef, "scope", "function")
            nodeid = self.current
            if scope != "function" and nodeid is not None:
                own = max(took - inner, 0.0)
                self.moved[nodeid] = self.moved.get(nodeid, 0.0) + own
                # A session's fixtures are the job's start-up; the others
                # belong to the file of the test that first needed them.
                if scope != "session":
                    self._cost(nodeid.split("::")[0], own)
                else:
                    self.session_fixtures += own

    def lost(self, nodeids, message):
        for nodeid in nodeids:
            self.outcomes[nodeid] = "failed"

    def pytest_deselected(self, items):
        self.deselected_count += len(items)
        _Selection.pytest_deselected(self, items)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(_text(report.nodeid))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        # A worker of pytest-xdist: it works for this session.
        node.workerinput[_XDIST_KEY] = {"allow": self.allow}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        seen = getattr(node, "workeroutput", {}).get(_XDIST_KEY) or {}
        for name, ids in seen.items():
            self.from_workers[name].update(ids)

    def pytest_collection_finish(self, session):
        here = str(self.config.invocation_params.dir)
        self.selected = [_text(item.nodeid) for item in session.items]
        self.selected_paths = [_text(item.path) for item in session.items]
        files = [os.path.relpath(str(item.path), here) for item in session.items]
        self.selected_files = [_text(file) for file in files]
        self.unnamable = sorted({_text(file) for file in files if _text(file) != file})
        self.dropped_tests = self.dropped(session.items)
        _tell(self.config, self.cache_deselected, "pytest's cache plugin (--lf, --sw) deselected")
        _tell(self.config, self.dropped_tests, "a hook dropped without deselecting")

    def pytest_runtest_logreport(self, report):
        if report.failed:
            outcome = "failed"
        elif report.skipped:
            # An expected failure reads as a skip to every reporter; bktec
            # names it apart (issue 21, item 4).
            outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        elif report.when == "call":
            outcome = "passed"
        else:
            outcome = None
        nodeid = _text(report.nodeid)
        if outcome is None:
            self.outcomes.setdefault(nodeid, None)
            return
        previous = self.outcomes.get(nodeid)
        if previous is None or _RANK[outcome] > _RANK[previous]:
            self.outcomes[nodeid] = outcome

    def pytest_sessionfinish(self, session, exitstatus):
        rootdir = str(self.config.rootpath)
        here = str(self.config.invocation_params.dir)
        # Under pytest-xdist the controller collects nothing itself: the
        # selection is unknown there, but the outcomes still arrive, and
        # the workers say what the cache plugin and the hooks took away.
        distributed = self.config.pluginmanager.has_plugin("dsession")
        document = {
            "version": 1,
            "rootdir_from_cwd": _text(os.path.relpath(rootdir, here)),
            "cwd_from_rootdir": _text(os.path.relpath(here, rootdir)),
            "selected": None if distributed else self.selected,
            "selected_paths": None if distributed else self.selected_paths,
            "selected_files": None if distributed else self.selected_files,
            # What pytest was given to collect, each path made absolute and
            # a node id's `::` part kept: a target it never saw, or saw only
            # inside a directory, proves nothing by its silence. Under the
            # cache plugin's `--lf` or `--sw`, pytest skips files it was
            # given: then nothing counts as given.
            "given": None if _cache_selects(self.config) else [
                _text(_given(here, str(arg))) for arg in self.config.args
            ],
            "deselected": self.deselected_count,
            "cache_deselected": sorted(
                set(self.cache_deselected) | self.from_workers["cache_deselected"]
            ),
            "dropped": sorted(set(self.dropped_tests) | self.from_workers["dropped"]),
            "unnamable": self.unnamable,
            "outcomes": {k: v for k, v in self.outcomes.items() if v is not None},
            "collect_errors": self.collect_errors,
            "exitstatus": int(exitstatus),
            # Under pytest-xdist every worker collects every module: no file
            # has one cost there.
            "costs": None if distributed else {
                "files": _finite(self.file_costs),
                "moved": _finite(self.moved),
                "spans": _finite(self._spans()),
                "session_start": self.session_start,
                "session_fixtures": self.session_fixtures
                if 0.0 <= self.session_fixtures < 1e6 else 0.0,
            },
        }
        if self.progress is not None:
            self.progress.close()
            self.progress = None
        temporary = self.output + ".part"
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(document, out, allow_nan=False)
        os.replace(temporary, self.output)


def _tell(config, nodeids, what):
    """Says in pytest's output which tests bktec cannot prove (D36)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if nodeids and reporter is not None:
        reporter.write_line(
            "bktec: %s %d test(s), e.g. %s: they did not run, so this run cannot "
            "prove them" % (what, len(nodeids), nodeids[0]),
            red=True,
        )


def _given(here, arg):
    path, sep, rest = arg.partition("::")
    return os.path.abspath(os.path.join(here, path)) + sep + rest


def _cache_selects(config):
    return any(
        config.getoption(name, default=False)
        for name in ("lf", "stepwise", "stepwise_skip")
    )


def _lost_in_worker(nodeids, message):
    # A pytest-xdist worker cannot record an outcome for a test it never
    # collected: failing its collection fails the run instead.
    raise RuntimeError(message)


def _read_allowed(path):
    with open(path, encoding="utf-8") as given:
        return json.load(given)


def pytest_configure(config):
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        # A pytest-xdist worker: it works for bktec's session only when that
        # session's controller said so, whatever its environment holds.
        mine = workerinput.get(_XDIST_KEY)
        if mine is not None:
            allow = mine.get("allow")
            config.pluginmanager.register(
                _Worker(config, allow is not None), "bktec-witness-worker"
            )
            if allow is not None:
                allowed = _read_allowed(allow)
                config.pluginmanager.register(
                    _Allow(allowed, _lost_in_worker), "bktec-allow"
                )
        return
    # The first session to see bktec's variables claims them: nested
    # sessions, in this process or below it, find none (D36).
    output = os.environ.pop(_OUTPUT_VAR, None)
    allow = os.environ.pop(_ALLOW_VAR, None)
    if not output:
        return
    witness = _Witness(config, output, allow)
    config.pluginmanager.register(witness, "bktec-witness")
    if allow is not None:
        allowed = _read_allowed(allow)
        config.pluginmanager.register(_Allow(allowed, witness.lost), "bktec-allow")

"""bktec's witness: records what pytest selected and how every test ended.

bktec loads this plugin into the test command's pytest (through a
`pytest11` entry point on PYTHONPATH) and reads the file it writes after each
attempt, as evidence beside the result file (bktec decision D23). It records
teardown errors, which buildkite-test-collector reports as passes, the
selected tests that never reported (`pytest -x`, `pytest.exit`), and how many
tests were deselected. It changes nothing in the run, with one exception:
when bktec discovered the tests with pytest itself (`files.discovery =
"pytest"`), it names the tests this job was given (`BKTEC_WITNESS_ALLOW`),
and the plugin deselects any other test that naming a file collects (the
test functions of a module that only `--doctest-modules` reached, say), so
that the jobs run exactly what a plain `pytest` would. A given test that
pytest no longer collects (a parametrize id that differs between processes)
is recorded as failed: it was lost, and the run must not be green.
"""

import json
import os

import pytest

_OUTPUT = os.environ.get("BKTEC_WITNESS")
_ALLOW = os.environ.get("BKTEC_WITNESS_ALLOW")
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def _key(item):
    """A test's name that does not depend on pytest's rootdir: its file's
    absolute path and the rest of its node id. The rootdir can change with
    the paths pytest is given (a setup.py in a sub-directory), and a file
    outside the rootdir can share its node id with one inside."""
    rest = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else ""
    return "%s::%s" % (item.path, rest)


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


class _Witness:
    def __init__(self, config):
        self.config = config
        self.selected = None
        self.selected_paths = None
        self.selected_files = None
        self.deselected = 0
        self.outcomes = {}
        self.collect_errors = []

    def lost(self, nodeids, message):
        for nodeid in nodeids:
            self.outcomes[nodeid] = "failed"

    def pytest_deselected(self, items):
        self.deselected += len(items)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(report.nodeid)

    def pytest_collection_finish(self, session):
        here = str(self.config.invocation_params.dir)
        self.selected = [item.nodeid for item in session.items]
        self.selected_paths = [str(item.path) for item in session.items]
        self.selected_files = [
            os.path.relpath(str(item.path), here) for item in session.items
        ]

    def pytest_runtest_logreport(self, report):
        if report.failed:
            outcome = "failed"
        elif report.skipped:
            outcome = "skipped"
        elif report.when == "call":
            outcome = "passed"
        else:
            outcome = None
        if outcome is None:
            self.outcomes.setdefault(report.nodeid, None)
            return
        previous = self.outcomes.get(report.nodeid)
        if previous is None or _RANK[outcome] > _RANK[previous]:
            self.outcomes[report.nodeid] = outcome

    def pytest_sessionfinish(self, session, exitstatus):
        rootdir = str(self.config.rootpath)
        here = str(self.config.invocation_params.dir)
        # Under pytest-xdist the controller collects nothing itself: the
        # selection is unknown there, but the outcomes still arrive.
        distributed = self.config.pluginmanager.has_plugin("dsession")
        document = {
            "version": 1,
            "rootdir_from_cwd": os.path.relpath(rootdir, here),
            "cwd_from_rootdir": os.path.relpath(here, rootdir),
            "selected": None if distributed else self.selected,
            "selected_paths": None if distributed else self.selected_paths,
            "selected_files": None if distributed else self.selected_files,
            # What pytest was given to collect, each path made absolute and
            # a node id's `::` part kept: a target it never saw, or saw only
            # inside a directory, proves nothing by its silence. Under the
            # cache plugin's `--lf` or `--sw`, pytest skips files it was
            # given: then nothing counts as given.
            "given": None if _cache_selects(self.config) else [
                _given(here, str(arg)) for arg in self.config.args
            ],
            "deselected": self.deselected,
            "outcomes": {k: v for k, v in self.outcomes.items() if v is not None},
            "collect_errors": self.collect_errors,
            "exitstatus": int(exitstatus),
        }
        temporary = _OUTPUT + ".part"
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(document, out)
        os.replace(temporary, _OUTPUT)


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


def pytest_configure(config):
    worker = hasattr(config, "workerinput")
    witness = None
    # Workers of pytest-xdist report to the controller, which writes the file.
    if _OUTPUT and not worker:
        witness = _Witness(config)
        config.pluginmanager.register(witness, "bktec-witness")
    # Workers collect, so they limit the run too.
    if _ALLOW:
        with open(_ALLOW, encoding="utf-8") as given:
            allowed = json.load(given)
        lost = witness.lost if witness is not None else _lost_in_worker
        config.pluginmanager.register(_Allow(allowed, lost), "bktec-allow")

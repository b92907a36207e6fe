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

_OUTPUT = os.environ.get("BKTEC_WITNESS")
_ALLOW = os.environ.get("BKTEC_WITNESS_ALLOW")
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


class _Witness:
    def __init__(self, config):
        self.config = config
        self.selected = None
        self.deselected = 0
        self.outcomes = {}
        self.collect_errors = []
        self.allowed = None
        if _ALLOW:
            with open(_ALLOW, encoding="utf-8") as given:
                self.allowed = json.load(given)

    def pytest_collection_modifyitems(self, session, config, items):
        if self.allowed is None:
            return
        allowed = set(self.allowed)
        keep = [item for item in items if item.nodeid in allowed]
        drop = [item for item in items if item.nodeid not in allowed]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        collected = {item.nodeid for item in keep}
        lost = [nodeid for nodeid in self.allowed if nodeid not in collected]
        for nodeid in lost:
            self.outcomes[nodeid] = "failed"
        if lost:
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    "bktec: %d tests that discovery collected were not collected in "
                    "this job, e.g. %s (are their parametrize ids the same in every "
                    "process?)" % (len(lost), lost[0]),
                    red=True,
                )

    def pytest_deselected(self, items):
        self.deselected += len(items)

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(report.nodeid)

    def pytest_collection_finish(self, session):
        self.selected = [item.nodeid for item in session.items]

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
            "deselected": self.deselected,
            "outcomes": {k: v for k, v in self.outcomes.items() if v is not None},
            "collect_errors": self.collect_errors,
            "exitstatus": int(exitstatus),
        }
        temporary = _OUTPUT + ".part"
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(document, out)
        os.replace(temporary, _OUTPUT)


def pytest_configure(config):
    # Workers of pytest-xdist report to the controller, which writes the file.
    if _OUTPUT and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Witness(config), "bktec-witness")

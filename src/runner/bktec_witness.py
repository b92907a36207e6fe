"""bktec's witness: records what pytest selected and how every test ended.

bktec loads this plugin into the test command's pytest (through a
`pytest11` entry point on PYTHONPATH) and reads the file it writes after each
attempt, as evidence beside the result file (bktec decision D23). It records
teardown errors, which buildkite-test-collector reports as passes, the
selected tests that never reported (`pytest -x`, `pytest.exit`), and how many
tests were deselected. It changes nothing in the run.
"""

import json
import os

_OUTPUT = os.environ.get("BKTEC_WITNESS")
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


class _Witness:
    def __init__(self, config):
        self.config = config
        self.selected = None
        self.deselected = 0
        self.outcomes = {}
        self.collect_errors = []

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

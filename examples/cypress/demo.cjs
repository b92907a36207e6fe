// The demo's switches (see README.md): BKTEC_EXAMPLE_FAIL=1 makes one test
// fail for real; BKTEC_EXAMPLE_FLAKY_DIR=<dir> makes one test fail once,
// until it has left a marker file in <dir>.
const fs = require("fs");
const path = require("path");

exports.fail = () => process.env.BKTEC_EXAMPLE_FAIL === "1";

exports.flakyFailsNow = (name) => {
  const dir = process.env.BKTEC_EXAMPLE_FLAKY_DIR;
  if (!dir) return false;
  const marker = path.join(dir, name);
  if (fs.existsSync(marker)) return false;
  fs.writeFileSync(marker, "failed once\n");
  return true;
};

// No browser is needed: the demo's tests use no `page`. bktec points the
// JSON reporter at its result path (PLAYWRIGHT_JSON_OUTPUT_FILE and _NAME).
const { defineConfig } = require("@playwright/test");

module.exports = defineConfig({
  testDir: ".",
  reporter: [["list"], ["json"]],
  workers: 1,
});

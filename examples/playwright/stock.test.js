const { test, expect } = require("@playwright/test");

test("counts items", () => {
  expect(["a", "b"]).toHaveLength(2);
});

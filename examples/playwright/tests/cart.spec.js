const { test, expect } = require("@playwright/test");
const demo = require("../demo.cjs");

test.describe("Cart", () => {
  test("adds up prices", () => {
    expect(3 + 4).toBe(7);
  });

  test("applies a discount (10% off)", () => {
    expect(10 - 2).toBe(demo.fail() ? 9 : 8);
  });
});

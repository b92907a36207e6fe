import { expect, test } from "vitest";

test("counts items", () => {
  expect(["a", "b"]).toHaveLength(2);
});

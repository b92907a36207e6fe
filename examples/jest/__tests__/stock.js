test("counts items", () => {
  expect(["a", "b"]).toHaveLength(2);
});

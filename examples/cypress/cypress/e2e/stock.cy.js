describe("Stock", () => {
  it("counts items", () => {
    expect(["a", "b"]).to.have.length(2);
  });
});

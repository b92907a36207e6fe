const demo = require("../../demo.cjs");

describe("Cart", () => {
  it("adds up prices", () => {
    expect(3 + 4).to.equal(7);
  });

  it("applies a discount (10% off)", () => {
    expect(10 - 2).to.equal(demo.fail() ? 9 : 8);
  });
});

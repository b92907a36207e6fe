require_relative "../spec_helper"

RSpec.describe "Cart" do
  it "adds up prices" do
    expect([3, 4].sum).to eq(7)
  end

  it "is empty when new" do
    expect([]).to be_empty
  end

  it "applies a discount" do
    expected = Demo.fail? ? 9 : 8
    expect(10 - 2).to eq(expected)
  end
end

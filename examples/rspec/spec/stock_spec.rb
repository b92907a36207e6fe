require_relative "spec_helper"

RSpec.describe "Stock" do
  it "counts items" do
    expect(%w[a b].size).to eq(2)
  end
end

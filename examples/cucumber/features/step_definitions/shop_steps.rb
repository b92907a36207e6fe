Given(/^a cart with (\d+) and (\d+)$/) do |a, b|
  @prices = [a.to_i, b.to_i]
end

Given(/^a price of (\d+)$/) do |price|
  @prices = [price.to_i]
end

When(/^I add them up$/) do
  @total = @prices.sum
end

When(/^I take (\d+) off$/) do |off|
  @total = @prices.sum - off.to_i
end

Then(/^the total is (\d+)$/) do |total|
  total = total.to_i
  expected = Demo.fail? && total == 8 ? 9 : total
  raise "total was #{@total}, not #{expected}" unless @total == expected
end

When(/^I pay by card$/) do
  @charged = Demo.flaky_fails_now?("checkout-charges-once") ? 2 : 1
end

Then(/^I am charged once$/) do
  raise "charged #{@charged} times" unless @charged == 1
end

Then(/^I get a receipt$/) do
  @receipt = "receipt"
end

When(/^I ship abroad$/) do
  pending "not offered yet"
end

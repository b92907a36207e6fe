Feature: Cart

  Scenario: Adding up prices
    Given a cart with 3 and 4
    When I add them up
    Then the total is 7

  Scenario: A discount
    Given a price of 10
    When I take 2 off
    Then the total is 8

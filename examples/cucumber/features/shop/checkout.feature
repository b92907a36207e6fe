Feature: Checkout

  Background:
    Given a price of 5

  Scenario: Paying by card
    When I pay by card
    Then I am charged once

  Scenario: A receipt
    Then I get a receipt

  Scenario: Shipping abroad
    When I ship abroad

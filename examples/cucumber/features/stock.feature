Feature: Stock

  Scenario Outline: Counting items
    Given a cart with <a> and <b>
    When I add them up
    Then the total is <total>

    Examples:
      | a | b | total |
      | 1 | 1 | 2     |
      | 2 | 3 | 5     |

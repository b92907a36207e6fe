// Package cart adds up prices.
package cart

// Total is the sum of prices.
func Total(prices ...int) int {
	sum := 0
	for _, p := range prices {
		sum += p
	}
	return sum
}

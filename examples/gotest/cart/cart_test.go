package cart

import (
	"testing"

	"example.com/shop/demo"
)

func TestTotal(t *testing.T) {
	if Total(3, 4) != 7 {
		t.Fatal("3 + 4 is not 7")
	}
}

func TestDiscount(t *testing.T) {
	want := 8
	if demo.Fail() {
		want = 9
	}
	if got := Total(10, -2); got != want {
		t.Fatalf("got %d, want %d", got, want)
	}
}

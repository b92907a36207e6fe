package stock

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		name  string
		items []string
	}{{"empty", nil}, {"two", []string{"a", "b"}}} {
		t.Run(c.name, func(t *testing.T) {
			if len(c.items) > 2 {
				t.Fatal("too many")
			}
		})
	}
}

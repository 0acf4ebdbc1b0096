// Command benchreport reads `go test -bench` output and prints, for every
// benchmark that ran against both leafhub and nats-server (sub-benchmarks
// named .../leafhub and .../nats-server), the two results side by side and
// their ratio. A ratio above 1 means leafhub is faster (or uses less).
//
//	go test -run '^$' -bench . ./tests/ | go run ./tests/benchreport
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// result is one benchmark line's figures by unit (ns/op, MB/s, msgs/s, B/op...).
type result map[string]float64

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func main() {
	results := map[string]result{}
	var order []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r := result{}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r[f[i+1]] = v
			}
		}
		if _, seen := results[m[1]]; !seen {
			order = append(order, m[1])
		}
		results[m[1]] = r
	}
	type pair struct{ base, ours, theirs string }
	var pairs []pair
	for _, name := range order {
		if !strings.HasSuffix(name, "/leafhub") {
			continue
		}
		base := strings.TrimSuffix(name, "/leafhub")
		if _, ok := results[base+"/nats-server"]; ok {
			pairs = append(pairs, pair{base, name, base + "/nats-server"})
		}
	}
	if len(pairs) == 0 {
		fmt.Println("benchreport: no leafhub/nats-server pairs in the input")
		os.Exit(1)
	}
	fmt.Printf("%-40s %14s %14s %9s  %s\n", "benchmark", "leafhub", "nats-server", "ratio", "unit")
	for _, p := range pairs {
		ours, theirs := results[p.ours], results[p.theirs]
		units := make([]string, 0, len(ours))
		for u := range ours {
			if _, ok := theirs[u]; ok {
				units = append(units, u)
			}
		}
		sort.Slice(units, func(i, j int) bool { return rank(units[i]) < rank(units[j]) })
		for _, u := range units {
			ratio := ours[u] / theirs[u]
			if lowerIsBetter(u) {
				ratio = theirs[u] / ours[u]
			}
			if theirs[u] == 0 || ours[u] == 0 {
				ratio = 1
				if ours[u] != theirs[u] {
					ratio = 0
				}
			}
			fmt.Printf("%-40s %14s %14s %8.2fx  %s\n", p.base, format(ours[u]), format(theirs[u]), ratio, u)
		}
	}
}

// lowerIsBetter: time and memory per operation.
func lowerIsBetter(unit string) bool {
	return strings.HasSuffix(unit, "/op") || unit == "ms" || unit == "bytes" || strings.HasSuffix(unit, "-ms") ||
		strings.HasPrefix(unit, "rss") || strings.HasPrefix(unit, "p50") || strings.HasPrefix(unit, "p99")
}

func rank(unit string) int {
	for i, u := range []string{"msgs/s", "MB/s", "ns/op", "B/op", "allocs/op"} {
		if u == unit {
			return i
		}
	}
	return 10
}

func format(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

// Reads "a<TAB>b" lines on stdin, prints "a<TAB>op<TAB>b" using golang.org/x/mod/semver;
// op is "!" when either version is invalid for Go. Versions without a leading "v" get one,
// as OSV writes Go versions without it.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 2)
		if len(parts) != 2 {
			continue
		}
		a, b := parts[0], parts[1]
		va, vb := a, b
		if !strings.HasPrefix(va, "v") {
			va = "v" + va
		}
		if !strings.HasPrefix(vb, "v") {
			vb = "v" + vb
		}
		op := "!"
		if semver.IsValid(va) && semver.IsValid(vb) {
			switch semver.Compare(va, vb) {
			case -1:
				op = "<"
			case 1:
				op = ">"
			default:
				op = "="
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", a, op, b)
	}
}

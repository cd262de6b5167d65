package benchstack

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Stat is the last line of a sipp statistics file (-trace_stat -stf).
type Stat struct {
	hdr, row []string
}

// ReadStat reads the last line of sipp's statistics file.
func ReadStat(path string) (Stat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Stat{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		return Stat{}, fmt.Errorf("sipp statistics %s: no data line", path)
	}
	return Stat{hdr: strings.Split(lines[0], ";"), row: strings.Split(lines[len(lines)-1], ";")}, nil
}

// Field is the value of a column, "" when there is none.
func (s Stat) Field(name string) string {
	for i, h := range s.hdr {
		if h == name && i < len(s.row) {
			return s.row[i]
		}
	}
	return ""
}

// Int is the value of a numeric column.
func (s Stat) Int(name string) (int, error) {
	n, err := strconv.Atoi(s.Field(name))
	if err != nil {
		return 0, fmt.Errorf("sipp statistics column %s: %w", name, err)
	}
	return n, nil
}

// Calls returns the cumulative successful and failed calls.
func (s Stat) Calls() (ok, failed int, err error) {
	ok, err1 := s.Int("SuccessfulCall(C)")
	failed, err2 := s.Int("FailedCall(C)")
	return ok, failed, errors.Join(err1, err2)
}

// Elapsed is the time the statistics cover (ElapsedTime(C)).
func (s Stat) Elapsed() (time.Duration, bool) {
	f := strings.Split(s.Field("ElapsedTime(C)"), ":") // HH:MM:SS:uuuuuu
	if len(f) != 4 {
		return 0, false
	}
	var n [4]int
	for i, x := range f {
		var err error
		if n[i], err = strconv.Atoi(x); err != nil {
			return 0, false
		}
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second +
		time.Duration(n[3])*time.Microsecond, true
}

// Failures lists the non-zero cumulative failure counters by cause
// ("FailedTimeoutOnRecv 3, …").
func (s Stat) Failures() string {
	var out []string
	for i, h := range s.hdr {
		if strings.HasPrefix(h, "Failed") && h != "FailedCall(C)" && strings.HasSuffix(h, "(C)") && i < len(s.row) && s.row[i] != "0" {
			out = append(out, strings.TrimSuffix(h, "(C)")+" "+s.row[i])
		}
	}
	return strings.Join(out, ", ")
}

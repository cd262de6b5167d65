package calls

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard/switchboard/mediafleet/calls/callstest"
	"github.com/switchboard/switchboard/tests/api/apiclient"
	"github.com/switchboard/switchboard/tests/harness"
)

// Calls that ring several phones, with sipp as every phone: a user's two
// desk phones, and a group's members. One phone answers after ringing
// half a second; the other rings and must get CANCEL (sipp's scenario
// fails otherwise). The call record (GET /v1/history) names the phone
// that answered and counts RTP both ways through the relay.

// TestForks runs both cases on one stack.
func TestForks(t *testing.T) {
	sippBin(t)
	s := harness.Start(t, harness.Options{})
	c := apiclient.New(s.URL(""))
	ctx := context.Background()
	a, err := c.SignUp(ctx, "Forks", fmt.Sprintf("forks.%d@example.com", apiclient.Unique()))
	if err != nil {
		t.Fatal(err)
	}
	caller := newPhone(t, c, a.Token, "12")
	two := newUser(t, c, a.Token, "11", 2)
	members := []phone{newPhone(t, c, a.Token, "13"), newPhone(t, c, a.Token, "14")}
	r, err := c.Expect(ctx, http.MethodPost, "/v1/groups", map[string]any{"name": "Sales", "extension": "20",
		"members": []string{members[0].User, members[1].User}}, a.Token, http.StatusCreated, http.StatusOK)
	if err != nil {
		t.Fatalf("group: %v", err)
	}
	_ = r
	dir := t.TempDir()
	writeFile(t, dir, "g711a.pcap", callstest.PCMAPcap(50))
	for _, tc := range []struct {
		name   string
		dial   string
		phones []phone
	}{
		{"user with two phones", two[0].Extension, two},
		{"group", "20", members},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forkCall(t, s, c, a.Token, dir, caller, tc.dial, tc.phones)
		})
	}
}

// forkCall registers the phones, lets the first answer late and the
// others ring, calls dial from caller and checks the record.
func forkCall(t *testing.T, s *harness.Stack, c *apiclient.Client, token, dir string, caller phone, dial string, phones []phone) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*sippTimeout)
	defer cancel()
	var runs []*exec.Cmd
	var outs []*bytes.Buffer
	for i, p := range phones {
		port := freeUDPPort(t)
		trace := fmt.Sprintf("reg-%s", p.Device)
		csv := writeFile(t, dir, trace+".csv", []byte(fmt.Sprintf("SEQUENTIAL\n%s;%s;%s\n",
			p.Credentials.Username, p.Credentials.Domain, p.Credentials.auth(p.Credentials.Password))))
		if out, err := sipp(ctx, t, dir, "register.xml", trace, "-inf", csv, "-p", strconv.Itoa(port), s.SIPUDP).CombinedOutput(); err != nil {
			sippFailed(t, dir, trace, out, err)
			return
		}
		waitOnline(t, c, token, p.Device)
		name, trace := "uas_late.xml", "answers-"+p.Device
		var args []string
		if i > 0 {
			root, err := harness.ModuleRoot()
			if err != nil {
				t.Fatal(err)
			}
			name, trace = filepath.Join(root, "tests", "webhooks", "testdata", "sipp", "phone_ring.xml"), "rings-"+p.Device
		} else {
			args = []string{"-mp", strconv.Itoa(freeUDPPort(t) &^ 1), "-rtp_echo"}
		}
		cmd := sipp(ctx, t, dir, name, trace, append([]string{"-p", strconv.Itoa(port)}, args...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs, outs = append(runs, cmd), append(outs, &out)
	}
	csv := writeFile(t, dir, "caller-"+dial+".csv", []byte(fmt.Sprintf("SEQUENTIAL\n%s;%s;%s;%s\n",
		caller.Credentials.Username, dial, caller.Credentials.Domain, caller.Credentials.auth(caller.Credentials.Password))))
	start := time.Now()
	if out, err := sipp(ctx, t, dir, "uac.xml", "caller-"+dial, "-inf", csv, "-mp", strconv.Itoa(freeUDPPort(t)&^1), s.SIPUDP).CombinedOutput(); err != nil {
		sippFailed(t, dir, "caller-"+dial, out, err)
	}
	for i, cmd := range runs {
		if err := cmd.Wait(); err != nil {
			sippFailed(t, dir, filepath.Base(cmd.Args[2])+"-"+phones[i].Device, outs[i].Bytes(), err)
		}
	}
	if t.Failed() {
		t.Logf("--- stack log ---\n%s", s.Log())
		return
	}
	e := lastCall(t, c, token, start)
	if e.AnsweredBy != phones[0].Device || e.Status != "answered" || e.Media == nil {
		t.Fatalf("history entry %+v, want answered by %s with media", e, phones[0].Device)
	}
	if e.Media.CallerSent == 0 || e.Media.CalleeReceived == 0 || e.Media.CalleeSent == 0 || e.Media.CallerReceived == 0 {
		t.Errorf("relay counts %+v: RTP did not pass both ways", *e.Media)
	}
}

// historyEntry is what these tests read of GET /v1/history.
type historyEntry struct {
	Start      time.Time `json:"start"`
	Status     string    `json:"status"`
	AnsweredBy string    `json:"answeredBy"`
	Cause      string    `json:"cause"`
	Media      *struct {
		CallerSent     uint64 `json:"callerSent"`
		CallerReceived uint64 `json:"callerReceived"`
		CalleeSent     uint64 `json:"calleeSent"`
		CalleeReceived uint64 `json:"calleeReceived"`
	} `json:"media"`
}

// lastCall waits (bounded) for the newest call that started after since.
func lastCall(t *testing.T, c *apiclient.Client, token string, since time.Time) historyEntry {
	t.Helper()
	for deadline := time.Now().Add(logWait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r, err := c.Expect(context.Background(), http.MethodGet, "/v1/history?"+url.Values{"limit": {"1"}}.Encode(), nil, token)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []historyEntry `json:"items"`
		}
		if err := r.Decode(&page); err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > 0 && !page.Items[0].Start.Before(since.Truncate(time.Second)) {
			return page.Items[0]
		}
	}
	t.Fatal("the call is not in the event list")
	return historyEntry{}
}

package account

import (
	"sync"
	"testing"
)

// TestConcurrentCreatesInOneAccount: users created at the same time in one
// account all race for the account's counters; each must succeed and get
// its own id.
func TestConcurrentCreatesInOneAccount(t *testing.T) {
	e := newUsersEnv(t, "team-25")
	s, ctx, admin := e.svc, e.ctx, e.admin
	const n = 12
	var wg sync.WaitGroup
	ids := make(chan string, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			u, err := s.CreateUser(ctx, admin, UserInput{Name: "U", Email: "u" + string(rune('a'+i)) + "@acme.example",
				Devices: []DeviceInput{{Kind: "phone", Name: "Desk"}}})
			if err != nil {
				errs <- err
				return
			}
			ids <- u.User.ID
		}(i)
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Errorf("concurrent create: %v", err)
	}
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %s handed out twice", id)
		}
		seen[id] = true
	}
	a, err := s.load(ctx, e.account)
	if err != nil {
		t.Fatal(err)
	}
	if a.Users != n+1 || len(seen) != n {
		t.Fatalf("account counts %d users, %d created", a.Users, len(seen))
	}
}

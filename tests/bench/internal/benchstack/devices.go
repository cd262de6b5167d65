package benchstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard/switchboard/tests/api/apiclient"
)

// Phone is a user with one desk phone, as its SIP credentials show it.
type Phone struct {
	Account   int    // index of the account the user belongs to
	Extension string // the user's extension
	User      string // the SIP user name (the device id)
	AuthUser  string // the digest user name
	Password  string
}

// MaxPerAccount is how many phone users one account can hold: the largest
// plan (Team 100) holds 100 users, the admin among them.
const MaxPerAccount = 99

// Phones signs up as many accounts (plan Team 100) as n users need at
// perAccount users each (at most MaxPerAccount), creates n users with
// extensions from 2000 up and one phone each, and reads every phone's SIP
// credentials. User i is in account i/perAccount. Accounts are filled in
// parallel, each one's users in turn (an account's changes are
// serialized).
func Phones(ctx context.Context, c *apiclient.Client, n, perAccount int) ([]Phone, error) {
	if perAccount < 1 || perAccount > MaxPerAccount {
		return nil, fmt.Errorf("%d users per account: want 1 to %d", perAccount, MaxPerAccount)
	}
	phones := make([]Phone, n)
	accounts := (n + perAccount - 1) / perAccount
	errs := make([]error, accounts)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for a := range accounts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			token, err := signUp(ctx, c, a)
			if err != nil {
				errs[a] = err
				return
			}
			for i := a * perAccount; i < min(n, (a+1)*perAccount); i++ {
				if phones[i], err = makePhone(ctx, c, token, i); err != nil {
					errs[a] = err
					return
				}
				phones[i].Account = a
			}
		}()
	}
	wg.Wait()
	return phones, errors.Join(errs...)
}

// signUp creates an account on plan Team 100 and returns its admin's
// session token.
func signUp(ctx context.Context, c *apiclient.Client, a int) (string, error) {
	email := fmt.Sprintf("bench%d.%d.%d@example.com", a, time.Now().UnixNano(), apiclient.Unique())
	r, err := c.Expect(ctx, http.MethodPost, "/v1/accounts", map[string]any{
		"company": fmt.Sprintf("Bench %d", a), "name": "Bench Admin", "email": email,
		"password": apiclient.Password, "plan": "team-100",
	}, "", http.StatusCreated)
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	var out struct {
		Session struct {
			Token string `json:"token"`
		} `json:"session"`
	}
	if err := r.Decode(&out); err != nil {
		return "", err
	}
	if out.Session.Token == "" {
		return "", fmt.Errorf("sign up: no session in %s", r)
	}
	return out.Session.Token, nil
}

func makePhone(ctx context.Context, c *apiclient.Client, token string, i int) (Phone, error) {
	ext := strconv.Itoa(2000 + i)
	r, err := c.Expect(ctx, http.MethodPost, "/v1/users", map[string]any{
		"name": "Bench " + ext, "email": fmt.Sprintf("bench%s.%d@example.com", ext, apiclient.Unique()), "extension": ext,
		"devices": []any{map[string]any{"kind": "phone", "name": "p"}},
	}, token, http.StatusCreated, http.StatusOK)
	if err != nil {
		return Phone{}, err
	}
	var created struct {
		Devices []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"devices"`
	}
	if err := r.Decode(&created); err != nil {
		return Phone{}, err
	}
	id := ""
	for _, d := range created.Devices {
		if d.Kind == "phone" {
			id = d.ID
		}
	}
	if id == "" {
		return Phone{}, fmt.Errorf("user %s has no phone: %s", ext, r)
	}
	r, err = c.Expect(ctx, http.MethodGet, "/v1/devices/"+url.PathEscape(id)+"/credentials", nil, token)
	if err != nil {
		return Phone{}, err
	}
	var cr struct {
		Domain            string `json:"domain"`
		Username          string `json:"username"`
		AuthorizationUser string `json:"authorizationUser"`
		Password          string `json:"password"`
	}
	if err := r.Decode(&cr); err != nil {
		return Phone{}, err
	}
	if cr.Username == "" || cr.AuthorizationUser == "" || cr.Password == "" {
		return Phone{}, fmt.Errorf("incomplete credentials of %s: %s", id, r)
	}
	if cr.Domain != SIPDomain {
		return Phone{}, fmt.Errorf("device %s has SIP domain %q, want %q", id, cr.Domain, SIPDomain)
	}
	return Phone{Extension: ext, User: cr.Username, AuthUser: cr.AuthorizationUser, Password: cr.Password}, nil
}

package account

import (
	"fmt"
	"slices"
	"testing"
)

func TestContacts(t *testing.T) {
	e := newUsersEnv(t, "")
	if _, err := e.svc.CreateUser(e.ctx, e.admin, UserInput{Name: "Bob", Email: "bob@acme.example"}); err != nil {
		t.Fatal(err)
	}
	bob := e.user("w1")
	other, _, _ := e.signup("owner@other.example", "")

	shared, err := e.svc.CreateContact(e.ctx, e.admin, ContactInput{Shared: true, Name: "Supplier", Company: "Parts AG",
		Numbers: []string{"0211 1234567", "+49 171 2345678"}, Emails: []string{"Sales@Parts.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if shared.ID != "c0" || !shared.Shared || shared.Owner != "" || !slices.Equal(shared.Numbers, []string{"+492111234567", "+491712345678"}) ||
		!slices.Equal(shared.Emails, []string{"sales@parts.example"}) {
		t.Fatalf("shared contact %+v", shared)
	}
	personal, err := e.svc.CreateContact(e.ctx, bob, ContactInput{Name: "Mum"})
	if err != nil || personal.ID != "c1" || personal.Shared || personal.Owner != "w1" {
		t.Fatalf("personal contact %+v %v", personal, err)
	}

	for _, tc := range []struct {
		name  string
		err   error
		kind  Kind
		field string
	}{
		{"user creates a shared contact", func() error {
			_, err := e.svc.CreateContact(e.ctx, bob, ContactInput{Shared: true, Name: "X"})
			return err
		}(), Forbidden, "shared"},
		{"no name", func() error { _, err := e.svc.CreateContact(e.ctx, bob, ContactInput{Name: " "}); return err }(), Invalid, "name"},
		{"bad number", func() error {
			_, err := e.svc.CreateContact(e.ctx, bob, ContactInput{Name: "X", Numbers: []string{"0211 1234567", "abc"}})
			return err
		}(), Invalid, "numbers[1]"},
		{"bad e-mail", func() error {
			_, err := e.svc.CreateContact(e.ctx, bob, ContactInput{Name: "X", Emails: []string{"x"}})
			return err
		}(), Invalid, "emails[0]"},
		{"too many numbers", func() error {
			_, err := e.svc.CreateContact(e.ctx, bob, ContactInput{Name: "X", Numbers: slices.Repeat([]string{"0211 1234567"}, 11)})
			return err
		}(), Invalid, "numbers"},
		{"user changes a shared contact", func() error {
			_, err := e.svc.UpdateContact(e.ctx, bob, "c0", ContactUpdate{Name: ptr("Y")})
			return err
		}(), Forbidden, ""},
		{"user deletes a shared contact", e.svc.DeleteContact(e.ctx, bob, "c0"), Forbidden, ""},
		{"admin reads a personal contact", func() error { _, err := e.svc.Contact(e.ctx, e.admin, "c1"); return err }(), NotFound, ""},
		{"admin deletes a personal contact", e.svc.DeleteContact(e.ctx, e.admin, "c1"), NotFound, ""},
		{"other account reads", func() error { _, err := e.svc.Contact(e.ctx, other, "c0"); return err }(), NotFound, ""},
		{"other account deletes", e.svc.DeleteContact(e.ctx, other, "c0"), NotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { wantKind(t, tc.err, tc.kind, tc.field) })
	}

	if c, err := e.svc.Contact(e.ctx, bob, "c0"); err != nil || c.Name != "Supplier" {
		t.Fatalf("user reads shared: %+v %v", c, err)
	}
	upd, err := e.svc.UpdateContact(e.ctx, bob, "c1", ContactUpdate{Company: ptr("Family"), Numbers: &[]string{"0211 7654321"}})
	if err != nil || upd.Name != "Mum" || upd.Company != "Family" || !slices.Equal(upd.Numbers, []string{"+492117654321"}) || upd.Updated == nil {
		t.Fatalf("update %+v %v", upd, err)
	}

	// Lists hold shared contacts and one's own, across pages, even when
	// other users' personal contacts lie between them.
	for i := 0; i < 5; i++ {
		if _, err := e.svc.CreateContact(e.ctx, e.admin, ContactInput{Name: fmt.Sprintf("Ada's %d", i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateContact(e.ctx, bob, ContactInput{Name: fmt.Sprintf("Bob's %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		p    string
		want int
	}{{"admin", "w0", 6}, {"bob", "w1", 7}} {
		t.Run("list "+tc.name, func(t *testing.T) {
			p := e.admin
			if tc.p == "w1" {
				p = bob
			}
			var got []ContactInfo
			cursor := ""
			for pages := 0; ; pages++ {
				items, next, err := e.svc.Contacts(e.ctx, p, cursor, 2)
				if err != nil || len(items) > 2 || pages > 10 {
					t.Fatalf("page %d: %v %v", pages, items, err)
				}
				got = append(got, items...)
				if next == "" {
					break
				}
				cursor = next
			}
			ids := map[string]bool{}
			for _, c := range got {
				if c.Owner != "" && c.Owner != tc.p || ids[c.ID] {
					t.Fatalf("list shows %+v", c)
				}
				ids[c.ID] = true
			}
			if len(got) != tc.want {
				t.Fatalf("%d contacts, want %d: %+v", len(got), tc.want, got)
			}
		})
	}

	if err := e.svc.DeleteContact(e.ctx, bob, "c1"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Contact(e.ctx, bob, "c1")
	wantKind(t, err, NotFound, "")
	if err := e.svc.DeleteContact(e.ctx, e.admin, "c0"); err != nil {
		t.Fatal(err)
	}
}

package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Contact limits (U8).
const (
	maxContactNumbers = 10
	maxContactEmails  = 5
	defaultPage       = 50
)

// ContactInput is a new contact. A shared contact is seen by everyone in
// the account and made by admins; a personal one belongs to its creator.
type ContactInput struct {
	Shared  bool
	Name    string
	Company string
	Numbers []string
	Emails  []string
}

// ContactUpdate changes a contact; nil fields stay as they are.
type ContactUpdate struct {
	Name    *string
	Company *string
	Numbers *[]string
	Emails  *[]string
}

// ContactInfo is a contact as the API shows it.
type ContactInfo struct {
	ID      string     `json:"id" doc:"Contact id, e.g. c0"`
	Shared  bool       `json:"shared" doc:"Seen by everyone in the account; otherwise personal"`
	Owner   string     `json:"owner,omitempty" doc:"Personal contacts: the user they belong to"`
	Name    string     `json:"name"`
	Company string     `json:"company,omitempty"`
	Numbers []string   `json:"numbers" doc:"Telephone numbers in E.164"`
	Emails  []string   `json:"emails"`
	Created time.Time  `json:"createdAt"`
	Updated *time.Time `json:"updatedAt,omitempty"`
}

func contactInfoOf(c model.Contact) ContactInfo {
	info := ContactInfo{ID: c.ID, Shared: c.Owner == "", Owner: c.Owner, Name: c.Name, Company: c.Company,
		Numbers: c.Numbers, Emails: c.Emails, Created: c.Created}
	if info.Numbers == nil {
		info.Numbers = []string{}
	}
	if info.Emails == nil {
		info.Emails = []string{}
	}
	if !c.Updated.IsZero() && !c.Updated.Equal(c.Created) {
		t := c.Updated
		info.Updated = &t
	}
	return info
}

// visible says whether p sees contact c: shared ones, and own personal
// ones. Other users' personal contacts do not exist for p, admin or not.
func visible(p auth.Principal, c model.Contact) bool { return c.Owner == "" || c.Owner == p.User }

// checkContact validates and normalizes the fields of a contact.
func (s *Service) checkContact(c *model.Contact, name, company *string, numbers, emails *[]string) Errors {
	var errs Errors
	var err error
	if name != nil {
		c.Name, err = text("name", *name, true, maxName)
		errs.add(err)
	}
	if company != nil {
		c.Company, err = text("company", *company, false, maxName)
		errs.add(err)
	}
	if numbers != nil {
		if len(*numbers) > maxContactNumbers {
			errs.add(invalid("numbers", "has more than %d numbers", maxContactNumbers))
		}
		c.Numbers = make([]string, 0, len(*numbers))
		for i, n := range *numbers {
			e164, err := s.number(fmt.Sprintf("numbers[%d]", i), n)
			errs.add(err)
			c.Numbers = append(c.Numbers, e164)
		}
	}
	if emails != nil {
		if len(*emails) > maxContactEmails {
			errs.add(invalid("emails", "has more than %d addresses", maxContactEmails))
		}
		c.Emails = make([]string, 0, len(*emails))
		for i, e := range *emails {
			addr, err := email(fmt.Sprintf("emails[%d]", i), e)
			errs.add(err)
			c.Emails = append(c.Emails, addr)
		}
	}
	return errs
}

// CreateContact adds a contact: a shared one (admins) or a personal one
// of the caller.
func (s *Service) CreateContact(ctx context.Context, p auth.Principal, in ContactInput) (ContactInfo, error) {
	if in.Shared && !p.Admin() {
		return ContactInfo{}, &Error{Kind: Forbidden, Field: "shared", Message: "only admins create shared contacts"}
	}
	var c model.Contact
	if errs := s.checkContact(&c, &in.Name, &in.Company, &in.Numbers, &in.Emails); len(errs) > 0 {
		return ContactInfo{}, errs.err()
	}
	if !in.Shared {
		c.Owner = p.User
	}
	return retry(ctx, func() (ContactInfo, error) {
		a, err := s.load(ctx, p.Account)
		if err != nil {
			return ContactInfo{}, err
		}
		now := s.now().UTC()
		c.ID = "c" + strconv.Itoa(a.NextContact)
		c.Account = a.ID
		c.Common = model.Common{PK: model.AccountPK(a.ID), SK: model.ContactKey(a.ID, c.ID).SK, Type: model.TypeContact, Created: now, Updated: now}
		scope := "personal"
		if c.Owner == "" {
			scope = "shared"
		}
		err = s.store.Write(ctx,
			store.Update(model.AccountKey(a.ID)).SetAttr("nextContact", store.N(int64(a.NextContact+1))).If(store.VersionEquals(a.Version)),
			store.Put(mustMarshal(c)).If(store.NotExists()),
			s.auditOp(a.ID, p.User, "contact.create", c.ID, scope))
		if err != nil {
			return ContactInfo{}, fmt.Errorf("create contact: %w", err)
		}
		return contactInfoOf(c), nil
	})
}

// Contacts lists the contacts the caller sees (shared ones and own
// personal ones), a page at a time.
func (s *Service) Contacts(ctx context.Context, p auth.Principal, cursor string, limit int) ([]ContactInfo, string, error) {
	switch {
	case limit == 0:
		limit = defaultPage
	case limit < 0 || limit > store.MaxLimit:
		return nil, "", invalid("limit", "must be between 1 and %d", store.MaxLimit)
	}
	table := store.Index{PK: store.AttrPK, SK: store.AttrSK}
	q := store.Query{PK: model.AccountPK(p.Account), Prefix: model.ContactsPrefix, Limit: limit, Cursor: cursor}
	out := make([]ContactInfo, 0, limit)
	// Other users' personal contacts are skipped, so a page of the table
	// may yield fewer than limit; read on, and continue the next page
	// after the last contact returned.
	for round := 0; round < 20; round++ {
		page, err := s.store.Query(ctx, q)
		if err != nil {
			return nil, "", storeErr(err)
		}
		for i, it := range page.Items {
			var c model.Contact
			if err := store.Unmarshal(it, &c); err != nil {
				return nil, "", err
			}
			if !visible(p, c) {
				continue
			}
			out = append(out, contactInfoOf(c))
			if len(out) == limit {
				if i < len(page.Items)-1 || page.Cursor != "" {
					return out, store.CursorFor(it, table), nil
				}
				return out, "", nil
			}
		}
		if page.Cursor == "" {
			return out, "", nil
		}
		q.Cursor = page.Cursor
	}
	return out, q.Cursor, nil
}

// contactFor reads a contact the caller sees, with its version.
func (s *Service) contactFor(ctx context.Context, p auth.Principal, id string) (model.Contact, error) {
	if id == "" || strings.Contains(id, "#") {
		return model.Contact{}, notFound("contact")
	}
	it, err := s.store.Get(ctx, model.ContactKey(p.Account, id))
	if errors.Is(err, store.ErrNotFound) {
		return model.Contact{}, notFound("contact")
	}
	if err != nil {
		return model.Contact{}, err
	}
	var c model.Contact
	if err := store.Unmarshal(it, &c); err != nil {
		return model.Contact{}, err
	}
	if !visible(p, c) {
		return model.Contact{}, notFound("contact")
	}
	c.Version = store.Version(it)
	return c, nil
}

// mayEdit says whether p may change contact c: its owner, or an admin for
// a shared contact.
func mayEdit(p auth.Principal, c model.Contact) error {
	if c.Owner == "" && !p.Admin() {
		return forbidden("only admins change shared contacts")
	}
	return nil
}

// Contact reads one contact.
func (s *Service) Contact(ctx context.Context, p auth.Principal, id string) (ContactInfo, error) {
	c, err := s.contactFor(ctx, p, id)
	if err != nil {
		return ContactInfo{}, err
	}
	return contactInfoOf(c), nil
}

// UpdateContact changes a contact (PATCH semantics).
func (s *Service) UpdateContact(ctx context.Context, p auth.Principal, id string, u ContactUpdate) (ContactInfo, error) {
	return retry(ctx, func() (ContactInfo, error) {
		c, err := s.contactFor(ctx, p, id)
		if err != nil {
			return ContactInfo{}, err
		}
		if err := mayEdit(p, c); err != nil {
			return ContactInfo{}, err
		}
		if errs := s.checkContact(&c, u.Name, u.Company, u.Numbers, u.Emails); len(errs) > 0 {
			return ContactInfo{}, errs.err()
		}
		c.Updated = s.now().UTC()
		err = s.store.Write(ctx, store.Put(mustMarshal(c)).If(store.VersionEquals(c.Version)),
			s.auditOp(p.Account, p.User, "contact.update", c.ID, ""))
		if err != nil {
			return ContactInfo{}, fmt.Errorf("update contact: %w", err)
		}
		return contactInfoOf(c), nil
	})
}

// DeleteContact removes a contact.
func (s *Service) DeleteContact(ctx context.Context, p auth.Principal, id string) error {
	_, err := retry(ctx, func() (struct{}, error) {
		c, err := s.contactFor(ctx, p, id)
		if err != nil {
			return struct{}{}, err
		}
		if err := mayEdit(p, c); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, s.store.Write(ctx, store.Delete(model.ContactKey(p.Account, c.ID)).If(store.VersionEquals(c.Version)),
			s.auditOp(p.Account, p.User, "contact.delete", c.ID, ""))
	})
	return err
}

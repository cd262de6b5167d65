package users

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/shared/account"
)

func registerContacts(a huma.API, h handlers) {
	tag := []string{"Contacts"}
	huma.Register(a, huma.Operation{OperationID: "list-contacts", Method: http.MethodGet, Path: "/v1/contacts", Tags: tag,
		Summary: "List contacts", Description: "The account's shared contacts and your personal ones.", Security: api.Secured}, h.listContacts)
	huma.Register(a, huma.Operation{OperationID: "create-contact", Method: http.MethodPost, Path: "/v1/contacts", Tags: tag,
		Summary: "Create a contact", Description: "A personal contact, or with shared set a contact everyone in the account sees (admins only).",
		DefaultStatus: http.StatusCreated, Security: api.Secured}, h.createContact)
	huma.Register(a, huma.Operation{OperationID: "get-contact", Method: http.MethodGet, Path: "/v1/contacts/{contactId}", Tags: tag,
		Summary: "Read a contact", Security: api.Secured}, h.getContact)
	huma.Register(a, huma.Operation{OperationID: "update-contact", Method: http.MethodPatch, Path: "/v1/contacts/{contactId}", Tags: tag,
		Summary: "Change a contact", Description: "Absent fields stay. Shared contacts are changed by admins, personal ones by their owner.",
		Security: api.Secured}, h.updateContact)
	huma.Register(a, huma.Operation{OperationID: "delete-contact", Method: http.MethodDelete, Path: "/v1/contacts/{contactId}", Tags: tag,
		Summary: "Delete a contact", DefaultStatus: http.StatusNoContent, Security: api.Secured}, h.deleteContact)
}

// ContactCreate is the request that creates a contact.
type ContactCreate struct {
	Shared  bool     `json:"shared,omitempty" doc:"Everyone in the account sees it (admins only); otherwise it is personal"`
	Name    string   `json:"name" minLength:"1" maxLength:"100"`
	Company string   `json:"company,omitempty" maxLength:"100"`
	Numbers []string `json:"numbers,omitempty" maxItems:"10" doc:"Telephone numbers; stored in E.164"`
	Emails  []string `json:"emails,omitempty" maxItems:"5"`
}

// ContactPatch changes a contact; absent fields stay.
type ContactPatch struct {
	Name    *string   `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Company *string   `json:"company,omitempty" maxLength:"100"`
	Numbers *[]string `json:"numbers,omitempty" maxItems:"10" doc:"Replaces all numbers"`
	Emails  *[]string `json:"emails,omitempty" maxItems:"5" doc:"Replaces all addresses"`
}

type contactIDIn struct {
	ContactID string `path:"contactId" maxLength:"20" doc:"Contact id, e.g. c0"`
}

type contactListOut struct {
	Body struct {
		Items []account.ContactInfo `json:"items"`
		Next  string                `json:"next,omitempty" doc:"Cursor of the next page; absent on the last"`
	}
}

func (h handlers) listContacts(ctx context.Context, in *api.PageIn) (*contactListOut, error) {
	items, next, err := h.svc.Contacts(ctx, api.Principal(ctx), in.Cursor, in.Limit)
	if err != nil {
		return nil, api.Err(err)
	}
	out := &contactListOut{}
	out.Body.Items, out.Body.Next = items, next
	return out, nil
}

type createContactIn struct{ Body ContactCreate }

type contactOut struct{ Body account.ContactInfo }

func (h handlers) createContact(ctx context.Context, in *createContactIn) (*contactOut, error) {
	b := in.Body
	c, err := h.svc.CreateContact(ctx, api.Principal(ctx), account.ContactInput{Shared: b.Shared, Name: b.Name, Company: b.Company,
		Numbers: b.Numbers, Emails: b.Emails})
	if err != nil {
		return nil, api.Err(err)
	}
	return &contactOut{Body: c}, nil
}

func (h handlers) getContact(ctx context.Context, in *contactIDIn) (*contactOut, error) {
	c, err := h.svc.Contact(ctx, api.Principal(ctx), in.ContactID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &contactOut{Body: c}, nil
}

type updateContactIn struct {
	ContactID string `path:"contactId" maxLength:"20" doc:"Contact id, e.g. c0"`
	Body      ContactPatch
}

func (h handlers) updateContact(ctx context.Context, in *updateContactIn) (*contactOut, error) {
	b := in.Body
	c, err := h.svc.UpdateContact(ctx, api.Principal(ctx), in.ContactID,
		account.ContactUpdate{Name: b.Name, Company: b.Company, Numbers: b.Numbers, Emails: b.Emails})
	if err != nil {
		return nil, api.Err(err)
	}
	return &contactOut{Body: c}, nil
}

func (h handlers) deleteContact(ctx context.Context, in *contactIDIn) (*struct{}, error) {
	return nil, api.Err(h.svc.DeleteContact(ctx, api.Principal(ctx), in.ContactID))
}

// Package users serves users, their phones and external phones, SIP
// credentials, contacts and the event list (PRODUCT.md A3, A4, P1–P3, U2,
// U4, U5, U7, U8).
//
// Its routes are mounted by its Lambda (functions/users/bootstrap) and by
// the local stack alike. It decodes, calls the account domain
// (shared/account) and encodes; nothing else. Routes not built yet answer
// 501 as problem documents.
package users

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/gateway"
	"github.com/switchboard/switchboard/shared/account"
)

// Name is the function's name in the routing table.
const Name = "users"

// Register mounts the function's routes on mux and its operations on a.
func Register(mux *http.ServeMux, a huma.API, deps api.Deps) {
	fn, _ := gateway.Find(Name)
	api.Planned(mux, fn)
	if deps.Accounts == nil {
		return
	}
	h := handlers{svc: deps.Accounts}
	registerUsers(a, h)
	registerDevices(a, h)
	registerContacts(a, h)
	registerHistory(a, h)
}

type handlers struct{ svc *account.Service }

func registerUsers(a huma.API, h handlers) {
	tag := []string{"Users"}
	huma.Register(a, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/v1/users", Tags: tag,
		Summary: "List users", Description: "Admins see every user of the account; other users see themselves.", Security: api.Secured}, h.listUsers)
	huma.Register(a, huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/v1/users", Tags: tag,
		Summary: "Create a user",
		Description: "Creates a user in one request with what the three steps of the console ask: name, e-mail, location and role; " +
			"the endpoints to create (phones, an external phone, voicemail, fax); a number of the account, an extension and groups to join. " +
			"Everything is written at once or not at all. The user receives an e-mail with a link to set a password. Admins only.",
		DefaultStatus: http.StatusCreated, Security: api.Secured}, h.createUser)
	huma.Register(a, huma.Operation{OperationID: "get-user", Method: http.MethodGet, Path: "/v1/users/{userId}", Tags: tag,
		Summary: "Read a user", Description: "Admins read any user of the account; other users only themselves.", Security: api.Secured}, h.getUser)
	huma.Register(a, huma.Operation{OperationID: "update-user", Method: http.MethodPatch, Path: "/v1/users/{userId}", Tags: tag,
		Summary: "Change a user",
		Description: "Absent fields stay as they are. Users change their own name, language, caller id and forwarding; " +
			"e-mail, role, lock, location, routing permission and extension are for admins.",
		Security: api.Secured}, h.updateUser)
	huma.Register(a, huma.Operation{OperationID: "delete-user", Method: http.MethodDelete, Path: "/v1/users/{userId}", Tags: tag,
		Summary: "Delete a user",
		Description: "Deletes the user with its login, extension and devices; its numbers become unassigned and it leaves its groups. " +
			"Answers what was removed. Admins only, and not themselves.",
		Security: api.Secured}, h.deleteUser)
}

// UserCreate is the request that creates a user.
type UserCreate struct {
	Name             string         `json:"name" minLength:"1" maxLength:"100"`
	Email            string         `json:"email" maxLength:"254" format:"email" doc:"Login e-mail, unique across Switchboard"`
	Location         string         `json:"location,omitempty" maxLength:"200" doc:"Where the user works (address)"`
	Admin            bool           `json:"admin,omitempty" doc:"The user administers the account"`
	Language         string         `json:"language,omitempty" enum:"de,en" doc:"Language of e-mails and the console; default de"`
	MayChangeRouting bool           `json:"mayChangeRouting,omitempty" doc:"The user may route own numbers"`
	Devices          []DeviceCreate `json:"devices,omitempty" maxItems:"8" doc:"Endpoints to create for the user"`
	Number           string         `json:"number,omitempty" maxLength:"40" doc:"A number of the account to route to the user"`
	Extension        string         `json:"extension,omitempty" maxLength:"6" doc:"Internal number"`
	Groups           []string       `json:"groups,omitempty" maxItems:"10" doc:"Ids of groups to join"`
}

// UserPatch changes a user; absent fields stay.
type UserPatch struct {
	Name             *string            `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Language         *string            `json:"language,omitempty" enum:"de,en"`
	CallerID         *string            `json:"callerId,omitempty" maxLength:"40" doc:"A number routed to the user, anonymous, or empty for the default"`
	Forwarding       *[]account.Forward `json:"forwarding,omitempty" maxItems:"5" doc:"Replaces all forwarding rules"`
	Email            *string            `json:"email,omitempty" maxLength:"254" format:"email" doc:"Admins only"`
	Admin            *bool              `json:"admin,omitempty" doc:"Admins only"`
	Locked           *bool              `json:"locked,omitempty" doc:"Admins only. A locked user cannot log in, and its phones cannot register or call"`
	Location         *string            `json:"location,omitempty" maxLength:"200" doc:"Admins only"`
	MayChangeRouting *bool              `json:"mayChangeRouting,omitempty" doc:"Admins only"`
	Extension        *string            `json:"extension,omitempty" maxLength:"6" doc:"Admins only; empty removes the extension"`
}

type userIDIn struct {
	UserID string `path:"userId" maxLength:"20" doc:"User id, e.g. w1"`
}

type userListOut struct {
	Body struct {
		Items []account.UserInfo `json:"items"`
		Next  string             `json:"next,omitempty" doc:"Cursor of the next page; absent on the last"`
	}
}

func (h handlers) listUsers(ctx context.Context, in *api.PageIn) (*userListOut, error) {
	items, next, err := h.svc.Users(ctx, api.Principal(ctx), in.Cursor, in.Limit)
	if err != nil {
		return nil, api.Err(err)
	}
	out := &userListOut{}
	out.Body.Items, out.Body.Next = items, next
	return out, nil
}

type createUserIn struct{ Body UserCreate }

type createdUserOut struct{ Body account.CreatedUser }

func (h handlers) createUser(ctx context.Context, in *createUserIn) (*createdUserOut, error) {
	b := in.Body
	u := account.UserInput{Name: b.Name, Email: b.Email, Location: b.Location, Admin: b.Admin, Language: b.Language,
		MayChangeRouting: b.MayChangeRouting, Number: b.Number, Extension: b.Extension, Groups: b.Groups}
	for _, d := range b.Devices {
		u.Devices = append(u.Devices, d.input())
	}
	res, err := h.svc.CreateUser(ctx, api.Principal(ctx), u)
	if err != nil {
		return nil, api.Err(err)
	}
	return &createdUserOut{Body: res}, nil
}

type userOut struct{ Body account.UserInfo }

func (h handlers) getUser(ctx context.Context, in *userIDIn) (*userOut, error) {
	u, err := h.svc.User(ctx, api.Principal(ctx), in.UserID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &userOut{Body: u}, nil
}

type updateUserIn struct {
	UserID string `path:"userId" maxLength:"20" doc:"User id, e.g. w1"`
	Body   UserPatch
}

func (h handlers) updateUser(ctx context.Context, in *updateUserIn) (*userOut, error) {
	b := in.Body
	u, err := h.svc.UpdateUser(ctx, api.Principal(ctx), in.UserID, account.UserUpdate{Name: b.Name, Language: b.Language,
		CallerID: b.CallerID, Forwarding: b.Forwarding, Email: b.Email, Admin: b.Admin, Locked: b.Locked, Location: b.Location,
		MayChangeRouting: b.MayChangeRouting, Extension: b.Extension})
	if err != nil {
		return nil, api.Err(err)
	}
	return &userOut{Body: u}, nil
}

type userRemovalOut struct{ Body account.UserRemoval }

func (h handlers) deleteUser(ctx context.Context, in *userIDIn) (*userRemovalOut, error) {
	rm, err := h.svc.DeleteUser(ctx, api.Principal(ctx), in.UserID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &userRemovalOut{Body: rm}, nil
}

// Package groups serves groups and their members (PRODUCT.md A5).
//
// Its routes are mounted by its Lambda (functions/groups/bootstrap) and by
// the local stack alike; handlers decode, call shared/account and encode.
package groups

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/gateway"
	"github.com/switchboard/switchboard/shared/account"
)

// Name is the function's name in the routing table.
const Name = "groups"

// Register mounts the function's routes on mux and its operations on a.
func Register(mux *http.ServeMux, a huma.API, deps api.Deps) {
	fn, _ := gateway.Find(Name)
	api.Planned(mux, fn)
	if deps.Accounts == nil {
		return
	}
	h := handlers{svc: deps.Accounts}
	tag := []string{"Groups"}
	op := func(id, method, path, summary string, status int) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tag, Security: api.Secured, DefaultStatus: status}
	}
	huma.Register(a, op("list-groups", http.MethodGet, "/v1/groups", "List groups", 0), h.list)
	huma.Register(a, op("create-group", http.MethodPost, "/v1/groups", "Create a group", http.StatusCreated), h.create)
	huma.Register(a, op("get-group", http.MethodGet, "/v1/groups/{groupId}", "Read a group", 0), h.get)
	huma.Register(a, op("update-group", http.MethodPatch, "/v1/groups/{groupId}", "Change a group", 0), h.update)
	huma.Register(a, op("delete-group", http.MethodDelete, "/v1/groups/{groupId}", "Delete a group", http.StatusNoContent), h.delete)
	huma.Register(a, op("list-members", http.MethodGet, "/v1/groups/{groupId}/members", "List a group's members", 0), h.members)
	huma.Register(a, op("set-members", http.MethodPut, "/v1/groups/{groupId}/members", "Replace a group's members", 0), h.setMembers)
	huma.Register(a, op("add-member", http.MethodPost, "/v1/groups/{groupId}/members", "Add a member", 0), h.addMember)
	huma.Register(a, op("remove-member", http.MethodDelete, "/v1/groups/{groupId}/members/{userId}", "Remove a member", 0), h.removeMember)
}

type handlers struct{ svc *account.Service }

// GroupBody creates a group.
type GroupBody struct {
	Name      string   `json:"name" minLength:"1" maxLength:"100"`
	Extension string   `json:"extension,omitempty" pattern:"^[0-9]{2,6}$" doc:"Internal number of the group"`
	Number    string   `json:"number,omitempty" maxLength:"40" doc:"One of the account's unassigned numbers, routed to the group"`
	Members   []string `json:"members,omitempty" maxItems:"100" doc:"User ids"`
}

type groupOut struct{ Body account.GroupInfo }

type groupsOut struct {
	Body struct {
		Items []account.GroupInfo `json:"items"`
	}
}

type groupIDIn struct {
	GroupID string `path:"groupId" maxLength:"20"`
}

func (h handlers) list(ctx context.Context, _ *struct{}) (*groupsOut, error) {
	gs, err := h.svc.Groups(ctx, api.Principal(ctx))
	if err != nil {
		return nil, api.Err(err)
	}
	out := &groupsOut{}
	out.Body.Items = gs
	return out, nil
}

func (h handlers) create(ctx context.Context, in *struct{ Body GroupBody }) (*groupOut, error) {
	g, err := h.svc.CreateGroup(ctx, api.Principal(ctx), account.GroupInput{Name: in.Body.Name, Extension: in.Body.Extension, Number: in.Body.Number, Members: in.Body.Members})
	if err != nil {
		return nil, api.Err(err)
	}
	return &groupOut{Body: g}, nil
}

func (h handlers) get(ctx context.Context, in *groupIDIn) (*groupOut, error) {
	g, err := h.svc.Group(ctx, api.Principal(ctx), in.GroupID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &groupOut{Body: g}, nil
}

// GroupPatch changes a group; absent fields stay.
type GroupPatch struct {
	Name       *string            `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Extension  *string            `json:"extension,omitempty" pattern:"^([0-9]{2,6})?$" doc:"Empty removes the extension"`
	Members    *[]string          `json:"members,omitempty" maxItems:"100"`
	Forwarding *[]account.Forward `json:"forwarding,omitempty" maxItems:"5"`
}

type groupPatchIn struct {
	GroupID string `path:"groupId" maxLength:"20"`
	Body    GroupPatch
}

func (h handlers) update(ctx context.Context, in *groupPatchIn) (*groupOut, error) {
	g, err := h.svc.UpdateGroup(ctx, api.Principal(ctx), in.GroupID, account.GroupUpdate{Name: in.Body.Name, Extension: in.Body.Extension, Members: in.Body.Members, Forwarding: in.Body.Forwarding})
	if err != nil {
		return nil, api.Err(err)
	}
	return &groupOut{Body: g}, nil
}

func (h handlers) delete(ctx context.Context, in *groupIDIn) (*struct{}, error) {
	return nil, api.Err(h.svc.DeleteGroup(ctx, api.Principal(ctx), in.GroupID))
}

type membersOut struct {
	Body struct {
		Items []string `json:"items" doc:"User ids"`
	}
}

func (h handlers) members(ctx context.Context, in *groupIDIn) (*membersOut, error) {
	g, err := h.svc.Group(ctx, api.Principal(ctx), in.GroupID)
	if err != nil {
		return nil, api.Err(err)
	}
	out := &membersOut{}
	out.Body.Items = g.Members
	return out, nil
}

type setMembersIn struct {
	GroupID string `path:"groupId" maxLength:"20"`
	Body    struct {
		Members []string `json:"members" maxItems:"100" doc:"User ids"`
	}
}

func (h handlers) setMembers(ctx context.Context, in *setMembersIn) (*groupOut, error) {
	g, err := h.svc.UpdateGroup(ctx, api.Principal(ctx), in.GroupID, account.GroupUpdate{Members: &in.Body.Members})
	if err != nil {
		return nil, api.Err(err)
	}
	return &groupOut{Body: g}, nil
}

type addMemberIn struct {
	GroupID string `path:"groupId" maxLength:"20"`
	Body    struct {
		UserID string `json:"userId" minLength:"1" maxLength:"20"`
	}
}

func (h handlers) addMember(ctx context.Context, in *addMemberIn) (*groupOut, error) {
	g, err := h.svc.AddMember(ctx, api.Principal(ctx), in.GroupID, in.Body.UserID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &groupOut{Body: g}, nil
}

type memberIn struct {
	GroupID string `path:"groupId" maxLength:"20"`
	UserID  string `path:"userId" maxLength:"20"`
}

func (h handlers) removeMember(ctx context.Context, in *memberIn) (*groupOut, error) {
	g, err := h.svc.RemoveMember(ctx, api.Principal(ctx), in.GroupID, in.UserID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &groupOut{Body: g}, nil
}

package users

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/shared/account"
)

func registerDevices(a huma.API, h handlers) {
	tag := []string{"Devices"}
	huma.Register(a, huma.Operation{OperationID: "list-devices", Method: http.MethodGet, Path: "/v1/users/{userId}/devices", Tags: tag,
		Summary: "List a user's devices", Description: "Phones (with their registration status), external phones, voicemail and fax of a user (at most 20). Your own, or any user's for an admin.",
		Security: api.Secured}, h.listDevices)
	huma.Register(a, huma.Operation{OperationID: "create-device", Method: http.MethodPost, Path: "/v1/users/{userId}/devices", Tags: tag,
		Summary: "Add a device to a user", Description: "A phone gets a generated SIP password (see its credentials). Admins only.",
		DefaultStatus: http.StatusCreated, Security: api.Secured}, h.createDevice)
	huma.Register(a, huma.Operation{OperationID: "get-device", Method: http.MethodGet, Path: "/v1/devices/{deviceId}", Tags: tag,
		Summary: "Read a device", Description: "With its status: online while registered, and its active registrations.", Security: api.Secured}, h.getDevice)
	huma.Register(a, huma.Operation{OperationID: "update-device", Method: http.MethodPatch, Path: "/v1/devices/{deviceId}", Tags: tag,
		Summary: "Change a device", Description: "Rename, enable or disable, or change an external phone's number. Admins, or the user the device belongs to.",
		Security: api.Secured}, h.updateDevice)
	huma.Register(a, huma.Operation{OperationID: "delete-device", Method: http.MethodDelete, Path: "/v1/devices/{deviceId}", Tags: tag,
		Summary: "Delete a device", Description: "Numbers routed to the device become unassigned. Answers which numbers changed. Admins only.",
		Security: api.Secured}, h.deleteDevice)
	huma.Register(a, huma.Operation{OperationID: "get-credentials", Method: http.MethodGet, Path: "/v1/devices/{deviceId}/credentials", Tags: tag,
		Summary: "Show a phone's SIP settings", Description: "Domain, registrar, outbound proxy, STUN server, expiry, user name and SIP password of a phone. Admins, or the phone's user.",
		Security: api.Secured}, h.credentials)
	huma.Register(a, huma.Operation{OperationID: "rotate-password", Method: http.MethodPost, Path: "/v1/devices/{deviceId}/credentials/rotate", Tags: tag,
		Summary: "Give a phone a new SIP password", Description: "The old password stops working; answers the new SIP settings. Admins, or the phone's user.",
		Security: api.Secured}, h.rotate)
	huma.Register(a, huma.Operation{OperationID: "check-device", Method: http.MethodPost, Path: "/v1/devices/{deviceId}/check", Tags: tag,
		Summary: "Check a phone's connection", Description: "The fleet sends OPTIONS to each active registration of the phone and reports who answered, with the round trip time. Takes up to a few seconds. Admins, or the phone's user.",
		Security: api.Secured}, h.check)
}

type checkOut struct {
	Body account.ConnectionCheck
}

func (h handlers) check(ctx context.Context, in *deviceIDIn) (*checkOut, error) {
	c, err := h.svc.CheckDevice(ctx, api.Principal(ctx), in.DeviceID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &checkOut{Body: c}, nil
}

// DeviceCreate is an endpoint to create for a user.
type DeviceCreate struct {
	Kind   string `json:"kind" enum:"phone,external,voicemail,fax"`
	Name   string `json:"name,omitempty" maxLength:"100" doc:"Shown in the console; a default by kind when absent"`
	Number string `json:"number,omitempty" maxLength:"40" doc:"External phones: the number to ring (mobile or landline)"`
}

func (d DeviceCreate) input() account.DeviceInput {
	return account.DeviceInput{Kind: d.Kind, Name: d.Name, Number: d.Number}
}

// DevicePatch changes a device; absent fields stay.
type DevicePatch struct {
	Name    *string `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Enabled *bool   `json:"enabled,omitempty" doc:"A disabled phone cannot register or call"`
	Number  *string `json:"number,omitempty" maxLength:"40" doc:"External phones only"`
}

type deviceIDIn struct {
	DeviceID string `path:"deviceId" maxLength:"30" doc:"Global device id, e.g. 1234567e0"`
}

type deviceListOut struct {
	Body struct {
		Items []account.DeviceInfo `json:"items"`
		Next  string               `json:"next,omitempty" doc:"Always absent: a user's devices fit on one page"`
	}
}

func (h handlers) listDevices(ctx context.Context, in *userIDIn) (*deviceListOut, error) {
	items, err := h.svc.Devices(ctx, api.Principal(ctx), in.UserID)
	if err != nil {
		return nil, api.Err(err)
	}
	out := &deviceListOut{}
	out.Body.Items = items
	return out, nil
}

type createDeviceIn struct {
	UserID string `path:"userId" maxLength:"20" doc:"User id, e.g. w1"`
	Body   DeviceCreate
}

type deviceOut struct{ Body account.DeviceInfo }

func (h handlers) createDevice(ctx context.Context, in *createDeviceIn) (*deviceOut, error) {
	d, err := h.svc.CreateDevice(ctx, api.Principal(ctx), in.UserID, in.Body.input())
	if err != nil {
		return nil, api.Err(err)
	}
	return &deviceOut{Body: d}, nil
}

func (h handlers) getDevice(ctx context.Context, in *deviceIDIn) (*deviceOut, error) {
	d, err := h.svc.Device(ctx, api.Principal(ctx), in.DeviceID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &deviceOut{Body: d}, nil
}

type updateDeviceIn struct {
	DeviceID string `path:"deviceId" maxLength:"30" doc:"Global device id, e.g. 1234567e0"`
	Body     DevicePatch
}

func (h handlers) updateDevice(ctx context.Context, in *updateDeviceIn) (*deviceOut, error) {
	d, err := h.svc.UpdateDevice(ctx, api.Principal(ctx), in.DeviceID,
		account.DeviceUpdate{Name: in.Body.Name, Enabled: in.Body.Enabled, Number: in.Body.Number})
	if err != nil {
		return nil, api.Err(err)
	}
	return &deviceOut{Body: d}, nil
}

type deviceRemovalOut struct{ Body account.DeviceRemoval }

func (h handlers) deleteDevice(ctx context.Context, in *deviceIDIn) (*deviceRemovalOut, error) {
	rm, err := h.svc.DeleteDevice(ctx, api.Principal(ctx), in.DeviceID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &deviceRemovalOut{Body: rm}, nil
}

type credentialsOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         account.Credentials
}

func (h handlers) credentials(ctx context.Context, in *deviceIDIn) (*credentialsOut, error) {
	c, err := h.svc.Credentials(ctx, api.Principal(ctx), in.DeviceID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &credentialsOut{CacheControl: "no-store", Body: c}, nil
}

func (h handlers) rotate(ctx context.Context, in *deviceIDIn) (*credentialsOut, error) {
	c, err := h.svc.RotatePassword(ctx, api.Principal(ctx), in.DeviceID)
	if err != nil {
		return nil, api.Err(err)
	}
	return &credentialsOut{CacheControl: "no-store", Body: c}, nil
}

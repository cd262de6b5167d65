package account

import (
	"time"

	"github.com/switchboard/switchboard/shared/model"
)

// UserInfo is a user as the API shows it.
type UserInfo struct {
	ID               string     `json:"id" doc:"Short id within the account, e.g. w0"`
	FullID           string     `json:"fullId" doc:"Account id and short id, e.g. 1234567w0"`
	Name             string     `json:"name"`
	Email            string     `json:"email"`
	Admin            bool       `json:"admin"`
	Locked           bool       `json:"locked"`
	MayChangeRouting bool       `json:"mayChangeRouting" doc:"The user may route own numbers"`
	Location         string     `json:"location,omitempty"`
	Language         string     `json:"language"`
	Extension        string     `json:"extension,omitempty"`
	CallerID         string     `json:"callerId,omitempty" doc:"E.164 number shown to called parties, or anonymous"`
	Forwarding       []Forward  `json:"forwarding"`
	Created          time.Time  `json:"createdAt"`
	Updated          *time.Time `json:"updatedAt,omitempty"`
}

// Forward is one call-forwarding rule (U7).
type Forward struct {
	When   string `json:"when" enum:"always,busy,noAnswer,unavailable"`
	After  int    `json:"after,omitempty" minimum:"0" maximum:"120" doc:"Seconds of ringing before a noAnswer rule applies"`
	Target string `json:"target" maxLength:"40" doc:"An extension of the account or a telephone number"`
}

// UserInfoOf shows a stored user.
func UserInfoOf(u model.User) UserInfo {
	info := UserInfo{ID: u.ID, FullID: u.FullID(), Name: u.Name, Email: u.Email, Admin: u.Admin, Locked: u.Locked,
		MayChangeRouting: u.MayChangeRouting || u.Admin, Location: u.Location, Language: u.Language, Extension: u.Extension,
		CallerID: u.CallerID, Forwarding: forwardsOf(u.Forwarding), Created: u.Created}
	if !u.Updated.IsZero() && !u.Updated.Equal(u.Created) {
		t := u.Updated
		info.Updated = &t
	}
	return info
}

func forwardsOf(fs []model.Forward) []Forward {
	out := make([]Forward, len(fs))
	for i, f := range fs {
		out[i] = Forward{When: f.When, After: f.After, Target: f.Target}
	}
	return out
}

// NumberInfo is a number of the account and where it rings.
type NumberInfo struct {
	Number string `json:"number" doc:"E.164"`
	Active bool   `json:"active" doc:"Inactive until its location is verified"`
	Test   bool   `json:"test,omitempty" doc:"A test number that came with the account"`
	Route  Route  `json:"route"`
}

// Route says where a number rings (A10).
type Route struct {
	Kind   string `json:"kind" enum:"none,user,device,group" doc:"none: unassigned; user: the user's phones; device: one endpoint; group: all members"`
	Target string `json:"target,omitempty" doc:"User, device or group id"`
	Device string `json:"device,omitempty" doc:"For kind user: ring only this one of the user's phones"`
}

// NumberInfoOf shows a stored number.
func NumberInfoOf(n model.Number) NumberInfo {
	kind := n.Route
	if kind == model.RouteNone {
		kind = "none"
	}
	return NumberInfo{Number: n.E164, Active: n.Active, Test: n.Test, Route: Route{Kind: kind, Target: n.Target, Device: n.Device}}
}

// InfoOf shows a stored account.
func (s *Service) InfoOf(a model.Account) Info { return infoOf(a) }

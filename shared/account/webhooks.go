package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Webhook settings: where an account's call events go (the webhooks of
// the call events issue). Admins set a URL for incoming and one for
// outgoing calls, each optionally limited to some users and groups, and
// per-user overrides; the account has one signing secret, stored sealed
// and shown only when it is made. Delivery itself is events/webhook's.

// Webhook formats and the events a URL may subscribe to.
const (
	FormatForm = "form" // the compatible form-encoded body
	FormatJSON = "json"

	EventNewCall = "newCall"
	EventAnswer  = "answer"
	EventHangup  = "hangup"
)

const (
	webhooksSK   = "WEBHOOKS"
	typeWebhooks = "webhooks"
	maxURL       = 2000
	maxLimitIDs  = 100
	maxOverrides = 100
	// SecretPrefix starts every signing secret, so a secret found in a
	// file or a log says what it is.
	SecretPrefix = "sbw_"
)

// UserHook is a URL that receives call events, and how.
type UserHook struct {
	URL    string   `json:"url" format:"uri" maxLength:"2000" doc:"http(s) URL; https and a public address on AWS" dynamodbav:"url"`
	Format string   `json:"format,omitempty" enum:"form,json" doc:"form (default): the compatible form-encoded body; json: the same fields as JSON" dynamodbav:"format"`
	Events []string `json:"events,omitempty" enum:"newCall,answer,hangup" maxItems:"3" doc:"Events posted here; default newCall (answer and hangup also go to the onAnswer/onHangup URLs of a steering response)" dynamodbav:"events,omitempty"`
}

// Hook is an account-wide URL, optionally limited to calls that reach
// some users or groups.
type Hook struct {
	URL    string   `json:"url" format:"uri" maxLength:"2000" doc:"http(s) URL; https and a public address on AWS" dynamodbav:"url"`
	Format string   `json:"format,omitempty" enum:"form,json" doc:"form (default): the compatible form-encoded body; json: the same fields as JSON" dynamodbav:"format"`
	Events []string `json:"events,omitempty" enum:"newCall,answer,hangup" maxItems:"3" doc:"Events posted here; default newCall (answer and hangup also go to the onAnswer/onHangup URLs of a steering response)" dynamodbav:"events,omitempty"`
	Users  []string `json:"users,omitempty" maxItems:"100" maxLength:"20" doc:"Only calls that reach one of these users (short ids)" dynamodbav:"users,omitempty"`
	Groups []string `json:"groups,omitempty" maxItems:"100" maxLength:"20" doc:"Only calls that reach one of these groups" dynamodbav:"groups,omitempty"`
}

// Override replaces the account's URLs for calls of one user.
type Override struct {
	UserID   string    `json:"userId" maxLength:"20" doc:"Short user id, e.g. w1" dynamodbav:"userId"`
	Incoming *UserHook `json:"incoming,omitempty" dynamodbav:"incoming,omitempty"`
	Outgoing *UserHook `json:"outgoing,omitempty" dynamodbav:"outgoing,omitempty"`
}

// WebhookSettings are the settings an admin writes (PUT replaces them).
type WebhookSettings struct {
	Incoming  *Hook      `json:"incoming,omitempty" doc:"Calls to the account's numbers"`
	Outgoing  *Hook      `json:"outgoing,omitempty" doc:"Calls from the account's phones to outside numbers"`
	Overrides []Override `json:"overrides,omitempty" maxItems:"100" doc:"Per-user URLs that replace the account's for calls of that user"`
}

// WebhookInfo is the settings as the API shows them. SigningSecret is set
// only in the answer that made the secret.
type WebhookInfo struct {
	Incoming      *Hook      `json:"incoming,omitempty"`
	Outgoing      *Hook      `json:"outgoing,omitempty"`
	Overrides     []Override `json:"overrides"`
	Secret        SecretInfo `json:"secret"`
	SigningSecret string     `json:"signingSecret,omitempty" doc:"The signing secret, shown in this answer only"`
	Updated       *time.Time `json:"updatedAt,omitempty"`
}

// SecretInfo says whether the signing secret exists, never what it is.
type SecretInfo struct {
	Set     bool       `json:"set"`
	Created *time.Time `json:"createdAt,omitempty"`
}

// webhooks is the stored settings item of an account.
type webhooks struct {
	model.Common
	Account       string     `dynamodbav:"account"`
	Incoming      *Hook      `dynamodbav:"incoming,omitempty"`
	Outgoing      *Hook      `dynamodbav:"outgoing,omitempty"`
	Overrides     []Override `dynamodbav:"overrides,omitempty"`
	Secret        []byte     `dynamodbav:"secret,omitempty"` // sealed, bound to the account id
	SecretCreated time.Time  `dynamodbav:"secretCreated,omitempty"`
}

func webhooksKey(accountID string) store.Key {
	return store.Key{PK: model.AccountPK(accountID), SK: webhooksSK}
}

// checkUserHook validates the common part of a hook and fills defaults.
func checkUserHook(ctx context.Context, field string, h *UserHook, pol URLPolicy, errs *Errors) {
	var err error
	h.URL, err = checkURL(ctx, field+".url", h.URL, pol)
	errs.add(err)
	switch h.Format {
	case "":
		h.Format = FormatForm
	case FormatForm, FormatJSON:
	default:
		errs.add(invalid(field+".format", "must be form or json"))
	}
	seen := map[string]bool{}
	for i, e := range h.Events {
		switch {
		case e != EventNewCall && e != EventAnswer && e != EventHangup:
			errs.add(invalid(fmt.Sprintf("%s.events[%d]", field, i), "must be newCall, answer or hangup"))
		case seen[e]:
			errs.add(invalid(fmt.Sprintf("%s.events[%d]", field, i), "is listed twice"))
		}
		seen[e] = true
	}
	if len(h.Events) == 0 {
		h.Events = []string{EventNewCall}
	}
}

// checkHook validates an account-wide hook, its limits against the
// account's users and groups.
func checkHook(ctx context.Context, field string, h *Hook, pol URLPolicy, users, groups map[string]bool, errs *Errors) {
	uh := UserHook{URL: h.URL, Format: h.Format, Events: h.Events}
	checkUserHook(ctx, field, &uh, pol, errs)
	h.URL, h.Format, h.Events = uh.URL, uh.Format, uh.Events
	for _, l := range []struct {
		name  string
		ids   []string
		known map[string]bool
		what  string
	}{{"users", h.Users, users, "user"}, {"groups", h.Groups, groups, "group"}} {
		if len(l.ids) > maxLimitIDs {
			errs.add(invalid(field+"."+l.name, "has more than %d entries", maxLimitIDs))
			continue
		}
		for i, id := range l.ids {
			if !l.known[id] {
				errs.add(invalid(fmt.Sprintf("%s.%s[%d]", field, l.name, i), "is no %s of the account", l.what))
			}
		}
	}
}

// checkWebhooks validates settings against the account and the policy.
func (s *Service) checkWebhooks(ctx context.Context, accountID string, in *WebhookSettings, pol URLPolicy) error {
	us, err := s.allUsers(ctx, accountID)
	if err != nil {
		return err
	}
	gs, err := s.allGroups(ctx, accountID)
	if err != nil {
		return err
	}
	users, groups := map[string]bool{}, map[string]bool{}
	for _, u := range us {
		users[u.ID] = true
	}
	for _, g := range gs {
		groups[g.ID] = true
	}
	var errs Errors
	if in.Incoming != nil {
		checkHook(ctx, "incoming", in.Incoming, pol, users, groups, &errs)
	}
	if in.Outgoing != nil {
		checkHook(ctx, "outgoing", in.Outgoing, pol, users, groups, &errs)
	}
	if len(in.Overrides) > maxOverrides {
		errs.add(invalid("overrides", "has more than %d entries", maxOverrides))
	}
	seen := map[string]bool{}
	for i := range in.Overrides {
		o := &in.Overrides[i]
		field := fmt.Sprintf("overrides[%d]", i)
		switch {
		case !users[o.UserID]:
			errs.add(invalid(field+".userId", "is no user of the account"))
		case seen[o.UserID]:
			errs.add(invalid(field+".userId", "has an override already"))
		}
		seen[o.UserID] = true
		if o.Incoming == nil && o.Outgoing == nil {
			errs.add(invalid(field, "needs an incoming or an outgoing URL"))
		}
		if o.Incoming != nil {
			checkUserHook(ctx, field+".incoming", o.Incoming, pol, &errs)
		}
		if o.Outgoing != nil {
			checkUserHook(ctx, field+".outgoing", o.Outgoing, pol, &errs)
		}
	}
	return errs.err()
}

// Webhooks returns the account's webhook settings (admins only).
func (s *Service) Webhooks(ctx context.Context, p auth.Principal) (WebhookInfo, error) {
	if !p.Admin() {
		return WebhookInfo{}, forbidden("only admins read the webhook settings")
	}
	w, err := s.loadWebhooks(ctx, p.Account)
	if err != nil {
		return WebhookInfo{}, err
	}
	return webhookInfoOf(w), nil
}

// SetWebhooks replaces the account's webhook settings (admins only),
// holding URLs to pol. The first settings with a URL make the signing
// secret, which the answer shows this once.
func (s *Service) SetWebhooks(ctx context.Context, p auth.Principal, in WebhookSettings, pol URLPolicy) (WebhookInfo, error) {
	if !p.Admin() {
		return WebhookInfo{}, forbidden("only admins change the webhook settings")
	}
	if err := s.checkWebhooks(ctx, p.Account, &in, pol); err != nil {
		return WebhookInfo{}, err
	}
	return retry(ctx, func() (WebhookInfo, error) {
		w, err := s.loadWebhooks(ctx, p.Account)
		if err != nil {
			return WebhookInfo{}, err
		}
		cond := store.VersionEquals(w.Version)
		if w.Version == 0 {
			cond = store.NotExists()
		}
		w.Incoming, w.Outgoing, w.Overrides = in.Incoming, in.Outgoing, in.Overrides
		w.Updated = s.now().UTC()
		var shown string
		if w.Secret == nil && (w.Incoming != nil || w.Outgoing != nil || len(w.Overrides) > 0) {
			if shown, err = s.newWebhookSecret(ctx, &w); err != nil {
				return WebhookInfo{}, err
			}
		}
		if err := s.store.Write(ctx, store.Put(mustMarshal(w)).If(cond),
			s.auditOp(p.Account, p.User, "webhooks.update", p.Account, webhookSummary(w))); err != nil {
			return WebhookInfo{}, fmt.Errorf("write webhook settings: %w", err)
		}
		info := webhookInfoOf(w)
		info.SigningSecret = shown
		return info, nil
	})
}

// RotateWebhookSecret replaces the signing secret (admins only) and shows
// the new one this once. Requests are signed with the new secret from the
// next delivery on.
func (s *Service) RotateWebhookSecret(ctx context.Context, p auth.Principal) (WebhookInfo, error) {
	if !p.Admin() {
		return WebhookInfo{}, forbidden("only admins rotate the webhook signing secret")
	}
	return retry(ctx, func() (WebhookInfo, error) {
		w, err := s.loadWebhooks(ctx, p.Account)
		if err != nil {
			return WebhookInfo{}, err
		}
		cond := store.VersionEquals(w.Version)
		if w.Version == 0 {
			cond = store.NotExists()
		}
		shown, err := s.newWebhookSecret(ctx, &w)
		if err != nil {
			return WebhookInfo{}, err
		}
		w.Updated = w.SecretCreated
		if err := s.store.Write(ctx, store.Put(mustMarshal(w)).If(cond),
			s.auditOp(p.Account, p.User, "webhooks.secret.rotate", p.Account, "")); err != nil {
			return WebhookInfo{}, fmt.Errorf("rotate webhook secret: %w", err)
		}
		info := webhookInfoOf(w)
		info.SigningSecret = shown
		return info, nil
	})
}

// newWebhookSecret makes a signing secret for w, seals it bound to the
// account id and returns it in the clear.
func (s *Service) newWebhookSecret(ctx context.Context, w *webhooks) (string, error) {
	secret := SecretPrefix + auth.Random(24)
	sealed, err := s.seal.Seal(ctx, []byte(secret), []byte(w.Account))
	if err != nil {
		return "", fmt.Errorf("seal webhook secret of %s: %w", w.Account, err)
	}
	w.Secret, w.SecretCreated = sealed, s.now().UTC()
	return secret, nil
}

// loadWebhooks reads the settings item, or a new one when there is none.
func (s *Service) loadWebhooks(ctx context.Context, accountID string) (webhooks, error) {
	return readWebhooks(ctx, s.store, accountID, s.now().UTC())
}

func readWebhooks(ctx context.Context, st store.Store, accountID string, now time.Time) (webhooks, error) {
	w, err := get[webhooks](ctx, st, webhooksKey(accountID), "webhook settings")
	if KindOf(err) == NotFound {
		k := webhooksKey(accountID)
		return webhooks{Common: model.Common{PK: k.PK, SK: k.SK, Type: typeWebhooks, Created: now}, Account: accountID}, nil
	}
	return w, err
}

func webhookInfoOf(w webhooks) WebhookInfo {
	info := WebhookInfo{Incoming: w.Incoming, Outgoing: w.Outgoing, Overrides: w.Overrides}
	if info.Overrides == nil {
		info.Overrides = []Override{}
	}
	if w.Secret != nil {
		t := w.SecretCreated
		info.Secret = SecretInfo{Set: true, Created: &t}
	}
	if w.Version > 0 && !w.Updated.IsZero() {
		t := w.Updated
		info.Updated = &t
	}
	return info
}

// webhookSummary names what is set, for the audit trail (no URLs: they
// may carry tokens of the receiving system in their query).
func webhookSummary(w webhooks) string {
	var parts []string
	if w.Incoming != nil {
		parts = append(parts, "incoming")
	}
	if w.Outgoing != nil {
		parts = append(parts, "outgoing")
	}
	if n := len(w.Overrides); n > 0 {
		parts = append(parts, fmt.Sprintf("%d overrides", n))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Sealer returns the sealer of the service's secrets, for the webhook
// deliverer that opens the signing secret.
func (s *Service) Sealer() Sealer { return s.seal }

// WebhookView is what delivering an account's call events needs: its
// URLs, its overrides by user id and the opened signing secret.
type WebhookView struct {
	Account   string
	Incoming  *Hook
	Outgoing  *Hook
	Overrides map[string]Override
	Secret    []byte // nil when the account has none
}

// LoadWebhooks reads an account's webhook settings for delivery. An
// account without settings gives an empty view.
func LoadWebhooks(ctx context.Context, st store.Store, seal Sealer, accountID string) (WebhookView, error) {
	w, err := readWebhooks(ctx, st, accountID, time.Now())
	if err != nil {
		return WebhookView{}, err
	}
	v := WebhookView{Account: accountID, Incoming: w.Incoming, Outgoing: w.Outgoing, Overrides: map[string]Override{}}
	for _, o := range w.Overrides {
		v.Overrides[o.UserID] = o
	}
	if w.Secret != nil {
		if v.Secret, err = seal.Open(ctx, w.Secret, []byte(accountID)); err != nil {
			return WebhookView{}, fmt.Errorf("open webhook secret of %s: %w", accountID, err)
		}
	}
	return v, nil
}

// Directory is who is who in an account, for the user fields of call
// events: names by short user id, members by group id, and the owner of
// each device by device id and by external number.
type Directory struct {
	Users   map[string]string
	Groups  map[string][]string
	Devices map[string]string
}

// LoadDirectory reads an account's users, groups and devices.
func LoadDirectory(ctx context.Context, st store.Store, accountID string) (Directory, error) {
	d := Directory{Users: map[string]string{}, Groups: map[string][]string{}, Devices: map[string]string{}}
	us, err := all[model.User](ctx, st, accountID, model.UsersPrefix)
	if err != nil {
		return d, fmt.Errorf("read users of %s: %w", accountID, err)
	}
	for _, u := range us {
		d.Users[u.ID] = u.Name
	}
	gs, err := all[model.Group](ctx, st, accountID, model.GroupsPrefix)
	if err != nil {
		return d, fmt.Errorf("read groups of %s: %w", accountID, err)
	}
	for _, g := range gs {
		d.Groups[g.ID] = g.Members
	}
	ds, err := all[model.Device](ctx, st, accountID, model.DevicesPrefix)
	if err != nil {
		return d, fmt.Errorf("read devices of %s: %w", accountID, err)
	}
	for _, dev := range ds {
		if dev.Owner == "" {
			continue
		}
		d.Devices[dev.ID] = dev.Owner
		if dev.External != "" {
			d.Devices[dev.External] = dev.Owner
		}
	}
	return d, nil
}

package account

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Event list limits (U2).
const (
	maxNote = 500
	// historyRounds bounds the table pages one list request reads: the
	// filters run on the server, so a page of the table may yield few
	// entries.
	historyRounds = 10
	historyBatch  = 200
	// maxExportRows bounds one CSV export.
	maxExportRows  = 10000
	histFlagPrefix = "HISTFLAG#"
	typeHistFlag   = "histflag"
)

// HistoryFilter selects entries of the event list; zero fields select all.
type HistoryFilter struct {
	Type      string // "call" (the only type so far)
	Direction string // in, out or internal
	Status    string // answered or missed
	From, To  time.Time
	User      string // admins: calls involving this user
	Number    string // matches the caller or the dialled number
	Archived  bool   // list archived entries instead of the others
}

// HistoryEntry is one entry of the event list as the API shows it, with
// the caller's own flags.
type HistoryEntry struct {
	ID         string     `json:"id" doc:"Opaque id of the entry"`
	Type       string     `json:"type" enum:"call"`
	Direction  string     `json:"direction" enum:"in,out,internal"`
	Status     string     `json:"status" enum:"answered,missed"`
	From       string     `json:"from" doc:"The caller: E.164 digits, an extension, a device id or anonymous"`
	To         string     `json:"to" doc:"What was dialled"`
	Users      []string   `json:"users" doc:"Ids of the users the call reached"`
	AnsweredBy string     `json:"answeredBy,omitempty"`
	Start      time.Time  `json:"start"`
	Answer     *time.Time `json:"answer,omitempty"`
	End        time.Time  `json:"end"`
	Duration   int        `json:"duration" doc:"Seconds from answer to end; 0 when missed"`
	Cause      string     `json:"cause"`
	Read       bool       `json:"read"`
	Starred    bool       `json:"starred"`
	Archived   bool       `json:"archived"`
	Note       string     `json:"note,omitempty"`
	// Media is what the relay carried of an answered call: the quality
	// view of a call for support and the admin.
	Media *HistoryMedia `json:"media,omitempty"`
}

// HistoryMedia counts the RTP packets of a call at the relay.
type HistoryMedia struct {
	CallerSent     uint64 `json:"callerSent" doc:"Packets the caller's phone sent to the relay"`
	CallerReceived uint64 `json:"callerReceived" doc:"Packets the relay sent to the caller's phone"`
	CalleeSent     uint64 `json:"calleeSent" doc:"Packets the answering phone sent to the relay"`
	CalleeReceived uint64 `json:"calleeReceived" doc:"Packets the relay sent to the answering phone"`
	CallerLost     uint64 `json:"callerLost" doc:"Packets of the caller's phone missing by sequence number"`
	CalleeLost     uint64 `json:"calleeLost" doc:"Packets of the answering phone missing by sequence number"`
}

// HistoryUpdate changes the caller's flags of an entry; nil fields stay.
type HistoryUpdate struct {
	Read, Starred, Archived *bool
	Note                    *string
}

// histFlag is one user's flags of one entry, kept next to the account's
// records so that deleting a user's view never touches the record.
type histFlag struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Type     string `dynamodbav:"type"`
	Read     bool   `dynamodbav:"read,omitempty"`
	Starred  bool   `dynamodbav:"starred,omitempty"`
	Archived bool   `dynamodbav:"archived,omitempty"`
	Deleted  bool   `dynamodbav:"deleted,omitempty"`
	Note     string `dynamodbav:"note,omitempty"`
}

func flagKey(account, user, callSK string) store.Key {
	return store.Key{PK: model.AccountPK(account), SK: histFlagPrefix + user + "#" + callSK}
}

// HistoryID is the opaque id of the entry of a call record.
func HistoryID(c model.Call) string { return base64.RawURLEncoding.EncodeToString([]byte(c.SK)) }

func entryOf(c model.Call, f histFlag) HistoryEntry {
	e := HistoryEntry{ID: HistoryID(c), Type: model.TypeCall, Direction: c.Direction, Status: "missed", From: c.From, To: c.To,
		Users: c.Users, AnsweredBy: c.AnsweredBy, Start: c.Start, Answer: c.Answer, End: c.End, Cause: c.Cause,
		Read: f.Read, Starred: f.Starred, Archived: f.Archived, Note: f.Note}
	if e.Users == nil {
		e.Users = []string{}
	}
	if c.Answer != nil {
		e.Status = "answered"
		e.Duration = int(c.End.Sub(*c.Answer).Round(time.Second) / time.Second)
	}
	if m := c.Media; m != (model.CallMedia{}) {
		e.Media = &HistoryMedia{CallerSent: m.CallerIn, CallerReceived: m.CallerOut, CalleeSent: m.CalleeIn,
			CalleeReceived: m.CalleeOut, CallerLost: m.CallerLost, CalleeLost: m.CalleeLost}
	}
	return e
}

// checkHistory validates a filter for p and normalizes its number.
func (s *Service) checkHistory(p auth.Principal, f *HistoryFilter) error {
	var errs Errors
	if !slices.Contains([]string{"", model.TypeCall}, f.Type) {
		errs.add(invalid("type", "must be call"))
	}
	if !slices.Contains([]string{"", "in", "out", "internal"}, f.Direction) {
		errs.add(invalid("direction", "must be in, out or internal"))
	}
	if !slices.Contains([]string{"", "answered", "missed"}, f.Status) {
		errs.add(invalid("status", "must be answered or missed"))
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		errs.add(invalid("from", "is after to"))
	}
	if f.User != "" && f.User != p.User && !p.Admin() {
		return &Error{Kind: Forbidden, Field: "user", Message: "only admins list other users' calls"}
	}
	if f.Number != "" {
		n, err := s.number("number", f.Number)
		errs.add(err)
		f.Number = strings.TrimPrefix(n, "+")
	}
	return errs.err()
}

// matches says whether p sees record c under filter f with p's flags.
func (f HistoryFilter) matches(p auth.Principal, c model.Call, fl histFlag) bool {
	switch {
	case fl.Deleted, fl.Archived != f.Archived:
		return false
	case !p.Admin() && !slices.Contains(c.Users, p.User):
		return false
	case f.User != "" && !slices.Contains(c.Users, f.User):
		return false
	case f.Direction != "" && c.Direction != f.Direction:
		return false
	case f.Status == "answered" && c.Answer == nil, f.Status == "missed" && c.Answer != nil:
		return false
	case f.Number != "" && strings.TrimPrefix(c.From, "+") != f.Number && strings.TrimPrefix(c.To, "+") != f.Number:
		return false
	}
	return true
}

// historyQuery is the table query of the filter's date range, newest
// first.
func historyQuery(account string, f HistoryFilter, cursor string, limit int) store.Query {
	q := store.Query{PK: model.AccountPK(account), From: model.CallsPrefix, To: model.CallsPrefix + "~", Reverse: true, Limit: limit, Cursor: cursor}
	if !f.From.IsZero() {
		q.From = model.CallKey(account, f.From, "").SK
	}
	if !f.To.IsZero() {
		q.To = model.CallKey(account, f.To, "").SK + "~"
	}
	return q
}

// flags reads p's flags of the calls whose sort keys lie in lo..hi.
func (s *Service) flags(ctx context.Context, p auth.Principal, lo, hi string) (map[string]histFlag, error) {
	prefix := histFlagPrefix + p.User + "#"
	q := store.Query{PK: model.AccountPK(p.Account), From: prefix + lo, To: prefix + hi, Limit: store.MaxLimit}
	out := map[string]histFlag{}
	for round := 0; round < 100; round++ {
		page, err := s.store.Query(ctx, q)
		if err != nil {
			return nil, storeErr(err)
		}
		for _, it := range page.Items {
			var f histFlag
			if err := store.Unmarshal(it, &f); err != nil {
				return nil, err
			}
			out[strings.TrimPrefix(f.SK, prefix)] = f
		}
		if page.Cursor == "" {
			break
		}
		q.Cursor = page.Cursor
	}
	return out, nil
}

// scanHistory reads records newest first from cursor and hands each match
// to yield until yield says stop (then its cursor continues after that
// entry) or rounds table pages are read.
func (s *Service) scanHistory(ctx context.Context, p auth.Principal, f HistoryFilter, cursor string, rounds int,
	yield func(HistoryEntry) bool) (string, error) {
	table := store.Index{PK: store.AttrPK, SK: store.AttrSK}
	q := historyQuery(p.Account, f, cursor, historyBatch)
	for round := 0; round < rounds; round++ {
		page, err := s.store.Query(ctx, q)
		if err != nil {
			return "", storeErr(err)
		}
		if len(page.Items) == 0 {
			return "", nil
		}
		calls := make([]model.Call, len(page.Items))
		for i, it := range page.Items {
			if err := store.Unmarshal(it, &calls[i]); err != nil {
				return "", err
			}
		}
		fl, err := s.flags(ctx, p, calls[len(calls)-1].SK, calls[0].SK)
		if err != nil {
			return "", err
		}
		for i, c := range calls {
			if c.Type != model.TypeCall || !f.matches(p, c, fl[c.SK]) {
				continue
			}
			if !yield(entryOf(c, fl[c.SK])) {
				if i < len(calls)-1 || page.Cursor != "" {
					return store.CursorFor(page.Items[i], table), nil
				}
				return "", nil
			}
		}
		if page.Cursor == "" {
			return "", nil
		}
		q.Cursor = page.Cursor
	}
	return q.Cursor, nil
}

// History lists the calls p sees (all of the account for admins, the
// calls that reached them for users), newest first, a page at a time.
func (s *Service) History(ctx context.Context, p auth.Principal, f HistoryFilter, cursor string, limit int) ([]HistoryEntry, string, error) {
	switch {
	case limit == 0:
		limit = defaultPage
	case limit < 0 || limit > store.MaxLimit:
		return nil, "", invalid("limit", "must be between 1 and %d", store.MaxLimit)
	}
	if err := s.checkHistory(p, &f); err != nil {
		return nil, "", err
	}
	out := make([]HistoryEntry, 0, limit)
	next, err := s.scanHistory(ctx, p, f, cursor, historyRounds, func(e HistoryEntry) bool {
		out = append(out, e)
		return len(out) < limit
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// HistoryAll is the whole filtered list for an export, bounded to
// maxExportRows entries.
func (s *Service) HistoryAll(ctx context.Context, p auth.Principal, f HistoryFilter) ([]HistoryEntry, error) {
	if err := s.checkHistory(p, &f); err != nil {
		return nil, err
	}
	var out []HistoryEntry
	_, err := s.scanHistory(ctx, p, f, "", maxExportRows/historyBatch*10, func(e HistoryEntry) bool {
		out = append(out, e)
		return len(out) < maxExportRows
	})
	return out, err
}

// historyFor reads the record of an entry p sees, with p's flags.
func (s *Service) historyFor(ctx context.Context, p auth.Principal, id string) (model.Call, histFlag, error) {
	sk, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || !strings.HasPrefix(string(sk), model.CallsPrefix) {
		return model.Call{}, histFlag{}, notFound("entry")
	}
	c, err := get[model.Call](ctx, s.store, store.Key{PK: model.AccountPK(p.Account), SK: string(sk)}, "entry")
	if err != nil {
		return model.Call{}, histFlag{}, err
	}
	if c.Type != model.TypeCall || c.Account != p.Account || (!p.Admin() && !slices.Contains(c.Users, p.User)) {
		return model.Call{}, histFlag{}, notFound("entry")
	}
	f, err := get[histFlag](ctx, s.store, flagKey(p.Account, p.User, c.SK), "entry")
	if err != nil && KindOf(err) != NotFound {
		return model.Call{}, histFlag{}, err
	}
	if f.Deleted {
		return model.Call{}, histFlag{}, notFound("entry")
	}
	return c, f, nil
}

// UpdateHistory changes the caller's flags of an entry.
func (s *Service) UpdateHistory(ctx context.Context, p auth.Principal, id string, u HistoryUpdate) (HistoryEntry, error) {
	c, f, err := s.historyFor(ctx, p, id)
	if err != nil {
		return HistoryEntry{}, err
	}
	if u.Note != nil {
		if f.Note, err = text("note", *u.Note, false, maxNote); err != nil {
			return HistoryEntry{}, err
		}
	}
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&f.Read, u.Read)
	set(&f.Starred, u.Starred)
	set(&f.Archived, u.Archived)
	if err := s.putFlag(ctx, p, c, f); err != nil {
		return HistoryEntry{}, err
	}
	return entryOf(c, f), nil
}

func (s *Service) putFlag(ctx context.Context, p auth.Principal, c model.Call, f histFlag) error {
	k := flagKey(p.Account, p.User, c.SK)
	f.PK, f.SK, f.Type = k.PK, k.SK, typeHistFlag
	if err := s.store.Write(ctx, store.Put(mustMarshal(f))); err != nil {
		return fmt.Errorf("write history flags: %w", err)
	}
	return nil
}

// DeleteHistory removes an entry: admins delete the record for everyone,
// users hide it from their own list.
func (s *Service) DeleteHistory(ctx context.Context, p auth.Principal, id string) error {
	c, f, err := s.historyFor(ctx, p, id)
	if err != nil {
		return err
	}
	if !p.Admin() {
		f.Deleted = true
		return s.putFlag(ctx, p, c, f)
	}
	err = s.store.Write(ctx, store.Delete(store.Key{PK: c.PK, SK: c.SK}), s.auditOp(p.Account, p.User, "history.delete", c.ID, ""))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("entry")
	}
	if err != nil {
		return fmt.Errorf("delete call record: %w", err)
	}
	return nil
}

package account

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/shared/auth"
	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// auditRetention is how long audit entries are kept.
const auditRetention = 400 * 24 * time.Hour

// auditOp returns the write of one audit entry, to go into the same atomic
// write as the change it records.
func (s *Service) auditOp(account, actor, action, target, summary string) store.Op {
	now := s.now().UTC()
	e := model.Audit{
		PK: model.AccountPK(account), SK: fmt.Sprintf("%s%s#%s", model.AuditPrefix, now.Format("20060102T150405.000000000Z"), auth.Random(4)),
		Type: model.TypeAudit, Time: now, Actor: actor, Action: action, Target: target, Summary: summary,
		Expires: now.Add(auditRetention).Unix(),
	}
	item, _ := store.Marshal(e) // a struct of strings and numbers always marshals
	return store.Put(item)
}

// AuditEntry is one entry of the trail as the API shows it.
type AuditEntry struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Summary string    `json:"summary,omitempty"`
}

// Audit lists the account's audit trail, newest first (admins only).
func (s *Service) Audit(ctx context.Context, p auth.Principal, cursor string, limit int) ([]AuditEntry, string, error) {
	if !p.Admin() {
		return nil, "", forbidden("only admins read the audit trail")
	}
	page, err := s.store.Query(ctx, store.Query{PK: model.AccountPK(p.Account), Prefix: model.AuditPrefix, Reverse: true, Limit: limit, Cursor: cursor})
	if err != nil {
		return nil, "", storeErr(err)
	}
	out := make([]AuditEntry, 0, len(page.Items))
	for _, it := range page.Items {
		var a model.Audit
		if err := store.Unmarshal(it, &a); err != nil {
			return nil, "", err
		}
		out = append(out, AuditEntry{Time: a.Time, Actor: a.Actor, Action: a.Action, Target: a.Target, Summary: a.Summary})
	}
	return out, page.Cursor, nil
}

// storeErr turns store errors a caller can cause (a bad cursor) into
// domain errors; others pass through.
func storeErr(err error) error {
	if err != nil && errorsIs(err, store.ErrInvalid) {
		return invalid("cursor", "is not a cursor of this list")
	}
	return err
}

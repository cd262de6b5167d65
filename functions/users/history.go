package users

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/shared/account"
)

func registerHistory(a huma.API, h handlers) {
	tag := []string{"History"}
	huma.Register(a, huma.Operation{OperationID: "list-history", Method: http.MethodGet, Path: "/v1/history", Tags: tag,
		Summary: "List the event list",
		Description: "Calls, newest first: every call of the account for admins, the calls that reached you for users. " +
			"Archived entries are listed only with archived=true; entries you deleted are gone from your list.",
		Security: api.Secured}, h.listHistory)
	huma.Register(a, huma.Operation{OperationID: "export-history", Method: http.MethodGet, Path: "/v1/history.csv", Tags: tag,
		Summary: "Export the event list as CSV", Description: "The same entries and filters as the list, without pages (at most 10,000 rows).",
		Security: api.Secured}, h.exportHistory)
	huma.Register(a, huma.Operation{OperationID: "update-history", Method: http.MethodPatch, Path: "/v1/history/{entryId}", Tags: tag,
		Summary: "Flag an entry", Description: "Sets your own read, starred and archived flags and note of an entry; absent fields stay.",
		Security: api.Secured}, h.updateHistory)
	huma.Register(a, huma.Operation{OperationID: "delete-history", Method: http.MethodDelete, Path: "/v1/history/{entryId}", Tags: tag,
		Summary: "Delete an entry", Description: "Admins delete the call record for everyone; users remove the entry from their own list.",
		DefaultStatus: http.StatusNoContent, Security: api.Secured}, h.deleteHistory)
}

// HistoryQuery are the filters of the list and the export (exported so
// that huma reads the fields it embeds).
type HistoryQuery struct {
	Type      string    `query:"type" enum:"call" doc:"Kind of entry; only calls so far"`
	Direction string    `query:"direction" enum:"in,out,internal"`
	Status    string    `query:"status" enum:"answered,missed"`
	From      time.Time `query:"from" doc:"Calls that started at or after this time (RFC 3339)"`
	To        time.Time `query:"to" doc:"Calls that started at or before this time (RFC 3339)"`
	User      string    `query:"user" maxLength:"20" doc:"Calls that reached this user (admins; users may name only themselves)"`
	Number    string    `query:"number" maxLength:"40" doc:"Calls from or to this number, in any format"`
	Archived  bool      `query:"archived" doc:"List archived entries instead of the others"`
}

func (q HistoryQuery) filter() account.HistoryFilter {
	return account.HistoryFilter{Type: q.Type, Direction: q.Direction, Status: q.Status, From: q.From, To: q.To,
		User: q.User, Number: q.Number, Archived: q.Archived}
}

// historyFields are the filter fields the domain names in its errors;
// they arrive in the query string.
var historyFields = []string{"type", "direction", "status", "from", "to", "user", "number", "archived"}

// queryErr says that the domain's complaints about filter fields concern
// the query string.
func queryErr(err error) error {
	var list account.Errors
	var one *account.Error
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			e.Field = queryField(e.Field)
		}
	case errors.As(err, &one):
		one.Field = queryField(one.Field)
	}
	return api.Err(err)
}

func queryField(f string) string {
	for _, q := range historyFields {
		if f == q {
			return "query." + f
		}
	}
	return f
}

type listHistoryIn struct {
	api.PageIn
	HistoryQuery
}

type historyListOut struct {
	Body struct {
		Items []account.HistoryEntry `json:"items"`
		Next  string                 `json:"next,omitempty" doc:"Cursor of the next page; absent on the last"`
	}
}

func (h handlers) listHistory(ctx context.Context, in *listHistoryIn) (*historyListOut, error) {
	items, next, err := h.svc.History(ctx, api.Principal(ctx), in.filter(), in.Cursor, in.Limit)
	if err != nil {
		return nil, queryErr(err)
	}
	out := &historyListOut{}
	out.Body.Items, out.Body.Next = items, next
	return out, nil
}

type exportHistoryIn struct{ HistoryQuery }

type csvOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func (h handlers) exportHistory(ctx context.Context, in *exportHistoryIn) (*csvOut, error) {
	items, err := h.svc.HistoryAll(ctx, api.Principal(ctx), in.filter())
	if err != nil {
		return nil, queryErr(err)
	}
	return &csvOut{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="history.csv"`, Body: historyCSV(items)}, nil
}

// historyCSV writes entries as RFC 4180 CSV (CRLF line ends, quotes where
// needed). Cells that a spreadsheet would take for a formula get a
// leading quote.
func historyCSV(items []account.HistoryEntry) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	_ = w.Write([]string{"id", "type", "start", "direction", "status", "from", "to", "users", "answeredBy", "duration", "cause",
		"read", "starred", "archived", "note"})
	for _, e := range items {
		_ = w.Write([]string{e.ID, e.Type, e.Start.UTC().Format(time.RFC3339), e.Direction, e.Status, cell(e.From), cell(e.To),
			cell(strings.Join(e.Users, " ")), cell(e.AnsweredBy), strconv.Itoa(e.Duration), cell(e.Cause),
			strconv.FormatBool(e.Read), strconv.FormatBool(e.Starred), strconv.FormatBool(e.Archived), cell(e.Note)})
	}
	w.Flush() // writes to a buffer cannot fail
	return b.Bytes()
}

// cell defuses formula injection: a cell starting with = + - @ (or a tab
// or carriage return, which some spreadsheets skip) is prefixed with a
// quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type entryIDIn struct {
	EntryID string `path:"entryId" maxLength:"200" doc:"Entry id from the list"`
}

// HistoryPatch changes your flags of an entry; absent fields stay.
type HistoryPatch struct {
	Read     *bool   `json:"read,omitempty"`
	Starred  *bool   `json:"starred,omitempty"`
	Archived *bool   `json:"archived,omitempty" doc:"Hides the entry from the default list"`
	Note     *string `json:"note,omitempty" maxLength:"500"`
}

type updateHistoryIn struct {
	EntryID string `path:"entryId" maxLength:"200" doc:"Entry id from the list"`
	Body    HistoryPatch
}

type historyOut struct{ Body account.HistoryEntry }

func (h handlers) updateHistory(ctx context.Context, in *updateHistoryIn) (*historyOut, error) {
	b := in.Body
	e, err := h.svc.UpdateHistory(ctx, api.Principal(ctx), in.EntryID,
		account.HistoryUpdate{Read: b.Read, Starred: b.Starred, Archived: b.Archived, Note: b.Note})
	if err != nil {
		return nil, api.Err(err)
	}
	return &historyOut{Body: e}, nil
}

func (h handlers) deleteHistory(ctx context.Context, in *entryIDIn) (*struct{}, error) {
	return nil, api.Err(h.svc.DeleteHistory(ctx, api.Principal(ctx), in.EntryID))
}

package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EncodeCursor turns the key attributes of the last item of a page into an
// opaque cursor. Both adapters use it, so cursors look alike everywhere.
func EncodeCursor(keys map[string]string) string {
	b, _ := json.Marshal(keys) // a map of strings always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reverses EncodeCursor and checks that the cursor names every
// attribute in want; a cursor from another query or a tampered one is
// rejected with ErrInvalid rather than silently restarting the query.
func DecodeCursor(cursor string, want ...string) (map[string]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed cursor", ErrInvalid)
	}
	var keys map[string]string
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("%w: malformed cursor", ErrInvalid)
	}
	for _, name := range want {
		if _, ok := keys[name]; !ok {
			return nil, fmt.Errorf("%w: cursor lacks %s", ErrInvalid, name)
		}
	}
	return keys, nil
}

// CursorKeys lists the attributes a cursor of a query on ix carries: the
// index's keys and, for an index, the table's keys too (index keys need not
// be unique).
func CursorKeys(ix Index) []string {
	if ix.PK == AttrPK {
		return []string{AttrPK, AttrSK}
	}
	return []string{ix.PK, ix.SK, AttrPK, AttrSK}
}

// CursorFor builds the cursor that continues after item in a query on ix.
func CursorFor(item Item, ix Index) string {
	keys := make(map[string]string, 4)
	for _, name := range CursorKeys(ix) {
		keys[name] = stringAttr(item, name)
	}
	return EncodeCursor(keys)
}

func stringAttr(item Item, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

package main

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// matches applies an event filter pattern as Lambda does for the subset
// the stream's filters use: nested objects, and lists of allowed values at
// the leaves.
func matches(pattern, record any) bool {
	switch p := pattern.(type) {
	case map[string]any:
		r, ok := record.(map[string]any)
		if !ok {
			return false
		}
		for k, sub := range p {
			if !matches(sub, r[k]) {
				return false
			}
		}
		return true
	case []any:
		for _, v := range p {
			if v == record {
				return true
			}
		}
	}
	return false
}

// The stream's filters let through the records of the items the fleet
// follows, removals included, and none of the writes it does not follow,
// judged on records shaped as Lambda gets them.
func TestStreamFilters(t *testing.T) {
	var patterns []any
	for _, f := range *streamFilters() {
		var p any
		if err := json.Unmarshal([]byte((*f)["pattern"].(string)), &p); err != nil {
			t.Fatal(err)
		}
		patterns = append(patterns, p)
	}
	image := func(typ string) map[string]events.DynamoDBAttributeValue {
		return map[string]events.DynamoDBAttributeValue{
			store.AttrPK: events.NewStringAttribute("ACCOUNT#1234567"), store.AttrSK: events.NewStringAttribute("X#1"),
			model.AttrType: events.NewStringAttribute(typ),
		}
	}
	rec := func(name, typ string) events.DynamoDBEventRecord {
		r := events.DynamoDBEventRecord{EventName: name, EventSource: "aws:dynamodb"}
		r.Change.Keys = image(typ)
		if name != store.EventRemove {
			r.Change.NewImage = image(typ)
		}
		if name != store.EventInsert {
			r.Change.OldImage = image(typ)
		}
		return r
	}
	for _, tc := range []struct {
		rec  events.DynamoDBEventRecord
		pass bool
	}{
		{rec(store.EventInsert, model.TypeUser), true},
		{rec(store.EventModify, model.TypeDevice), true},
		{rec(store.EventRemove, model.TypeGroup), true},
		{rec(store.EventRemove, model.TypeNumber), true},
		{rec(store.EventModify, model.TypeAccount), true},
		{rec(store.EventInsert, model.TypeProbe), true},
		{rec(store.EventInsert, model.TypeBinding), false},
		{rec(store.EventModify, model.TypeBinding), false},
		{rec(store.EventRemove, model.TypeBinding), false},
		{rec(store.EventModify, model.TypeFleetNode), false},
		{rec(store.EventInsert, model.TypeCall), false},
	} {
		b, err := json.Marshal(tc.rec)
		if err != nil {
			t.Fatal(err)
		}
		var r any
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		got := false
		for _, p := range patterns {
			got = got || matches(p, r)
		}
		if got != tc.pass {
			t.Errorf("%s of a %s: passes %v, want %v (%s)", tc.rec.EventName, tc.rec.Change.NewImage[model.AttrType].String()+tc.rec.Change.OldImage[model.AttrType].String(), got, tc.pass, b)
		}
	}
}

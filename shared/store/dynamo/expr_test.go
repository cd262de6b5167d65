package dynamo

import (
	"math"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/store"
)

var placeholder = regexp.MustCompile(`#n\d+|:v\d+`)

// resolve writes an expression with its placeholders replaced by the
// names and values they stand for, and checks that every placeholder is
// defined and every definition used (DynamoDB rejects both mistakes).
func resolve(t *testing.T, used map[string]bool, s *string, names map[string]string, values map[string]types.AttributeValue) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(aws.ToString(s), func(p string) string {
		used[p] = true
		if p[0] == '#' {
			n, ok := names[p]
			if !ok {
				t.Fatalf("undefined name %s", p)
			}
			return n
		}
		v, ok := values[p]
		if !ok {
			t.Fatalf("undefined value %s", p)
		}
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			return `"` + v.Value + `"`
		case *types.AttributeValueMemberN:
			return v.Value
		}
		t.Fatalf("value %s of type %T", p, v)
		return ""
	})
}

func TestRequestExpressions(t *testing.T) {
	const now = 1000
	k := store.Key{PK: "A", SK: "B"}
	it := store.Item{"PK": store.S("A"), "SK": store.S("B")}
	tests := []struct {
		name         string
		op           store.Op
		cond, update string
	}{
		{"put", store.Put(it), "", ""},
		{"put not exists", store.Put(it).If(store.NotExists()), "attribute_not_exists(PK) OR ttl <= 1000", ""},
		{"delete exists", store.Delete(k).If(store.Exists()), "attribute_exists(PK) AND (attribute_not_exists(ttl) OR ttl > 1000)", ""},
		{"delete version", store.Delete(k).If(store.VersionEquals(7)), "v = 7 AND (attribute_not_exists(ttl) OR ttl > 1000)", ""},
		{"update", store.Op{Kind: store.OpUpdate, Key: k, Set: store.Item{"b": store.S("2"), "a": store.S("1")}, Remove: []string{"c"}, Add: []store.Add{{Attr: "n", Delta: 3}}},
			"attribute_not_exists(ttl) OR ttl > 1000", `SET a = "1", b = "2" REMOVE c ADD v 1, n 3`},
		{"update remove only", store.Op{Kind: store.OpUpdate, Key: k, Remove: []string{"ttl"}}, "attribute_not_exists(ttl) OR ttl > 1000", "REMOVE ttl ADD v 1"},
		{"update not exists", store.Update(k).AddTo("n", 1).If(store.NotExists()), "attribute_not_exists(PK)", "ADD v 1, n 1"},
		{"floor below the delta", store.Update(k).AddAtLeast("cents", -300, 0), "(attribute_not_exists(ttl) OR ttl > 1000) AND (cents >= 300)", "ADD v 1, cents -300"},
		{"floor reached from zero", store.Update(k).AddAtLeast("cents", 500, 10), "(attribute_not_exists(ttl) OR ttl > 1000) AND (attribute_not_exists(cents) OR cents >= -490)", "ADD v 1, cents 500"},
		{"floor with condition", store.Update(k).AddAtLeast("cents", -1, -1000).If(store.Exists()),
			"(attribute_exists(PK) AND (attribute_not_exists(ttl) OR ttl > 1000)) AND (attribute_not_exists(cents) OR cents >= -999)", "ADD v 1, cents -1"},
		{"two floors", store.Update(k).AddAtLeast("a", 1, 0).AddAtLeast("b", -1, 0),
			"(attribute_not_exists(ttl) OR ttl > 1000) AND (attribute_not_exists(a) OR a >= -1) AND (b >= 1)", "ADD v 1, a 1, b -1"},
		{"floor beyond int64", store.Update(k).AddAtLeast("a", -1, math.MaxInt64), "(attribute_not_exists(ttl) OR ttl > 1000) AND (a >= 9223372036854775808)", "ADD v 1, a -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops := []store.Op{tc.op}
			if err := store.CheckWrite(ops); err != nil {
				t.Fatal(err)
			}
			req := request("tbl", ops[0], now)
			var cond, update *string
			var names map[string]string
			var values map[string]types.AttributeValue
			switch {
			case req.Put != nil:
				cond, names, values = req.Put.ConditionExpression, req.Put.ExpressionAttributeNames, req.Put.ExpressionAttributeValues
			case req.Delete != nil:
				cond, names, values = req.Delete.ConditionExpression, req.Delete.ExpressionAttributeNames, req.Delete.ExpressionAttributeValues
			default:
				cond, update = req.Update.ConditionExpression, req.Update.UpdateExpression
				names, values = req.Update.ExpressionAttributeNames, req.Update.ExpressionAttributeValues
			}
			used := map[string]bool{}
			if got := resolve(t, used, cond, names, values); got != tc.cond {
				t.Errorf("condition %q, want %q", got, tc.cond)
			}
			if got := resolve(t, used, update, names, values); got != tc.update {
				t.Errorf("update %q, want %q", got, tc.update)
			}
			if len(used) != len(names)+len(values) {
				t.Errorf("unused placeholders: names %v values %v, used %v", names, values, used)
			}
			if (names != nil && len(names) == 0) || (values != nil && len(values) == 0) {
				t.Error("empty placeholder map")
			}
		})
	}
}

func TestPutVersion(t *testing.T) {
	it := store.Item{"PK": store.S("A"), "SK": store.S("B"), "v": store.N(42)}
	tests := []struct {
		op   store.Op
		want int64
	}{
		{store.Put(it), 1},
		{store.Put(it).If(store.NotExists()), 1},
		{store.Put(it).If(store.VersionEquals(6)), 7},
	}
	for _, tc := range tests {
		if got := store.Version(versioned(tc.op)); got != tc.want {
			t.Errorf("%+v: version %d, want %d", tc.op.Cond, got, tc.want)
		}
	}
	if store.Version(it) != 42 {
		t.Error("versioned changed the caller's item")
	}
}

func TestQueryExpressions(t *testing.T) {
	db, err := New(struct{ Client }{}, Config{TableName: "tbl", Clock: func() time.Time { return time.Unix(1000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    store.Query
		key  string
	}{
		{"partition", store.Query{PK: "A"}, `PK = "A"`},
		{"prefix", store.Query{PK: "A", Prefix: "USER#"}, `PK = "A" AND begins_with(SK, "USER#")`},
		{"range", store.Query{PK: "A", From: "a", To: "b"}, `PK = "A" AND SK BETWEEN "a" AND "b"`},
		{"from", store.Query{PK: "A", From: "a"}, `PK = "A" AND SK >= "a"`},
		{"to", store.Query{PK: "A", To: "b"}, `PK = "A" AND SK <= "b"`},
		{"index", store.Query{Index: "GSI2", PK: "R", Prefix: "1"}, `GSI2PK = "R" AND begins_with(GSI2SK, "1")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, ix, err := store.CheckQuery(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			in, err := db.queryInput(q, ix)
			if err != nil {
				t.Fatal(err)
			}
			used := map[string]bool{}
			if got := resolve(t, used, in.KeyConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues); got != tc.key {
				t.Errorf("key condition %q, want %q", got, tc.key)
			}
			filter := resolve(t, used, in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
			if filter != "attribute_not_exists(ttl) OR ttl > 1000" {
				t.Errorf("filter %q", filter)
			}
			if len(used) != len(in.ExpressionAttributeNames)+len(in.ExpressionAttributeValues) {
				t.Errorf("unused placeholders")
			}
			if consistent := aws.ToBool(in.ConsistentRead); consistent != (tc.q.Index == "") {
				t.Errorf("consistent read %v on index %q", consistent, tc.q.Index)
			}
		})
	}
}

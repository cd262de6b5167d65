package store

// Attribute names with a meaning to the store itself. Every adapter and the
// deployed table agree on them; domain items must not use them for anything
// else.
const (
	AttrPK      = "PK"  // partition key (string)
	AttrSK      = "SK"  // sort key (string)
	AttrVersion = "v"   // item version for optimistic concurrency (number)
	AttrTTL     = "ttl" // expiry in Unix seconds (number); see Expired
)

// Index describes one global secondary index: a string partition key and a
// string sort key, projecting all attributes. An item appears in an index
// only when it carries both of the index's key attributes (as non-empty
// strings).
type Index struct {
	Name string
	PK   string
	SK   string
}

// Indexes are the table's global secondary indexes. Domain code puts a
// globally unique lookup key (a device id for SIP authentication, an E.164
// number for inbound routing, a login e-mail) into an index's PK attribute.
var Indexes = []Index{
	{Name: "GSI1", PK: "GSI1PK", SK: "GSI1SK"},
	{Name: "GSI2", PK: "GSI2PK", SK: "GSI2SK"},
}

// Table is the definition shared by the deployed table (infra/aws), the
// table the dynamo adapter creates for local use and tests, and the embedded
// adapter: the same keys, indexes, TTL attribute and stream view.
type Table struct {
	Name       string
	Indexes    []Index
	TTL        string
	StreamView string // NEW_AND_OLD_IMAGES: change records carry both images
}

// DefaultTableName is the table name used when configuration names none.
const DefaultTableName = "switchboard"

// Definition returns the table definition for a table called name.
func Definition(name string) Table {
	if name == "" {
		name = DefaultTableName
	}
	idx := make([]Index, len(Indexes))
	copy(idx, Indexes)
	return Table{Name: name, Indexes: idx, TTL: AttrTTL, StreamView: "NEW_AND_OLD_IMAGES"}
}

// IndexByName returns the index called name, or false.
func IndexByName(name string) (Index, bool) {
	for _, ix := range Indexes {
		if ix.Name == name {
			return ix, true
		}
	}
	return Index{}, false
}

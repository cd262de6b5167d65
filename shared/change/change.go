// Package change turns the table's change records (DynamoDB stream records,
// from DynamoDB Streams on AWS or the embedded store's change log locally)
// into typed notifications for the media fleet: a device, user, group,
// number or account was written or removed.
//
// functions/streamsync decodes records with it and the fleet's directory
// applies the notifications; both import this package, so neither imports
// the other. It is not for the API side, which reads the table directly.
package change

import (
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/shared/model"
	"github.com/switchboard/switchboard/shared/store"
)

// Kind is the kind of entity a notification is about.
type Kind string

// Kinds of entities the fleet follows.
const (
	KindAccount Kind = model.TypeAccount
	KindUser    Kind = model.TypeUser
	KindDevice  Kind = model.TypeDevice
	KindGroup   Kind = model.TypeGroup
	KindNumber  Kind = model.TypeNumber
	// KindProbe is a connection check the API asked for: only its
	// creation is a notification (the fleet's results are not).
	KindProbe Kind = model.TypeProbe
)

// Followed are the kinds the fleet follows: the only item types whose
// change records Decode turns into notifications (the stream's event
// source filters on them, so other writes cost no invocation).
var Followed = []Kind{KindAccount, KindUser, KindDevice, KindGroup, KindNumber, KindProbe}

// Notification says that one entity now looks like this, or is gone.
// Exactly the field of its kind is set; for a removal it holds the entity
// as it was last.
type Notification struct {
	Sequence string // the change record's sequence number
	Kind     Kind
	Removed  bool
	Account  string // the account the entity belongs to
	ID       string // the entity's id within its kind (a number's E.164)

	AccountItem *model.Account
	User        *model.User
	Device      *model.Device
	Group       *model.Group
	Number      *model.Number
	Probe       *model.Probe
}

// Decode turns one change record into a notification. ok is false for
// records of items the fleet does not follow (guard items, bindings, call
// records, …).
func Decode(rec events.DynamoDBEventRecord) (n Notification, ok bool, err error) {
	image := rec.Change.NewImage
	n.Removed = rec.EventName == store.EventRemove
	if n.Removed || image == nil {
		image = rec.Change.OldImage
	}
	typ, ok := image[model.AttrType]
	if !ok || typ.DataType() != events.DataTypeString {
		return n, false, nil
	}
	item, err := store.FromStream(image)
	if err != nil {
		return n, false, fmt.Errorf("record %s: %w", rec.Change.SequenceNumber, err)
	}
	n.Sequence = rec.Change.SequenceNumber
	n.Kind = Kind(typ.String())
	switch n.Kind {
	case KindAccount:
		n.AccountItem = new(model.Account)
		err = store.Unmarshal(item, n.AccountItem)
		n.Account, n.ID = n.AccountItem.ID, n.AccountItem.ID
	case KindUser:
		n.User = new(model.User)
		err = store.Unmarshal(item, n.User)
		n.Account, n.ID = n.User.Account, n.User.ID
	case KindDevice:
		n.Device = new(model.Device)
		err = store.Unmarshal(item, n.Device)
		n.Account, n.ID = n.Device.Account, n.Device.ID
	case KindGroup:
		n.Group = new(model.Group)
		err = store.Unmarshal(item, n.Group)
		n.Account, n.ID = n.Group.Account, n.Group.ID
	case KindProbe:
		if rec.EventName != store.EventInsert {
			return Notification{}, false, nil
		}
		n.Probe = new(model.Probe)
		err = store.Unmarshal(item, n.Probe)
		n.Account, n.ID = n.Probe.Account, n.Probe.ID
	case KindNumber:
		n.Number = new(model.Number)
		err = store.Unmarshal(item, n.Number)
		n.Account, n.ID = n.Number.Account, n.Number.E164
	default:
		return Notification{}, false, nil
	}
	if err != nil {
		return Notification{}, false, fmt.Errorf("record %s (%s): %w", rec.Change.SequenceNumber, n.Kind, err)
	}
	return n, true, nil
}

// CompareSequence orders two stream sequence numbers: decimal strings of
// any length, with or without leading zeros (the embedded change log pads
// them to a fixed width, DynamoDB Streams does not).
func CompareSequence(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

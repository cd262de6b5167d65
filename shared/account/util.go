package account

import (
	"errors"

	"github.com/switchboard/switchboard/shared/store"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// conflictAt returns the index of the operation whose condition failed, or
// -1 when err is not a conflict.
func conflictAt(err error) int {
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return ce.Op
	}
	return -1
}

// mustMarshal marshals entities whose fields always marshal.
func mustMarshal(v any) store.Item {
	item, err := store.Marshal(v)
	if err != nil {
		panic(err) // a programming error: entity types marshal by construction
	}
	return item
}

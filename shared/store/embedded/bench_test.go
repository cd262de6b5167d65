package embedded_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard/switchboard/shared/store"
)

func benchItem(i int) store.Item {
	return store.Item{
		store.AttrPK: store.S("ACCOUNT#1234567"),
		store.AttrSK: store.S(fmt.Sprintf("DEVICE#1234567e%d", i)),
		"GSI1PK":     store.S(fmt.Sprintf("DEVICE#1234567e%d", i)),
		"GSI1SK":     store.S("DEVICE"),
		"name":       store.S("Reception desk phone"),
		"enabled":    &types.AttributeValueMemberBOOL{Value: true},
		"ha1md5":     store.S("0123456789abcdef0123456789abcdef"),
	}
}

func BenchmarkGet(b *testing.B) {
	db := open(b, nil)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		if err := db.Write(ctx, store.Put(benchItem(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Get(ctx, store.Key{PK: "ACCOUNT#1234567", SK: fmt.Sprintf("DEVICE#1234567e%d", i%1000)}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPut(b *testing.B) {
	db := open(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.Write(ctx, store.Put(benchItem(i))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutParallel shows what batching concurrent writers into shared
// commits buys.
func BenchmarkPutParallel(b *testing.B) {
	db := open(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(8)
	var n int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(atomic.AddInt64(&n, 1))
			if err := db.Write(ctx, store.Put(benchItem(i))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkQuery(b *testing.B) {
	db := open(b, nil)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		if err := db.Write(ctx, store.Put(benchItem(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := db.Query(ctx, store.Query{PK: "ACCOUNT#1234567", Prefix: "DEVICE#", Limit: 20})
		if err != nil || len(p.Items) != 20 {
			b.Fatal(err, len(p.Items))
		}
	}
}

func BenchmarkTransaction3(b *testing.B) {
	db := open(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ext := fmt.Sprintf("%d", 100+i)
		err := db.Write(ctx,
			store.Put(benchItem(i)).If(store.NotExists()),
			store.Put(store.Item{store.AttrPK: store.S("ACCOUNT#1234567"), store.AttrSK: store.S("EXT#" + ext)}).If(store.NotExists()),
			store.Update(store.Key{PK: "ACCOUNT#1234567", SK: "ACCOUNT"}).AddAtLeast("devices", 1, 0),
		)
		if err != nil {
			b.Fatal(err)
		}
	}
}

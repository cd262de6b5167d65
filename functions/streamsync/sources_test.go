package streamsync_test

import (
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard/switchboard/functions/streamsync"
	"github.com/switchboard/switchboard/shared/store"
	"github.com/switchboard/switchboard/shared/store/dynamo"
	"github.com/switchboard/switchboard/shared/store/dynamo/dynamolocal"
)

var local *dynamolocal.Server

func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &local)) }

// TestSameNotificationsFromBothSources writes the same scenario through
// the DynamoDB adapter (on DynamoDB Local, records read from its DynamoDB
// Streams API) and through the embedded adapter (records from its change
// log): the handler must turn both into the same notifications.
func TestSameNotificationsFromBothSources(t *testing.T) {
	srv := dynamolocal.ForTest(t, local)
	client, streams := srv.Clients()
	name := dynamolocal.TableName(t)
	if err := dynamo.CreateTable(ctx(t), client, store.Definition(name)); err != nil {
		t.Fatal(err)
	}
	db, err := dynamo.New(client, dynamo.Config{TableName: name})
	if err != nil {
		t.Fatal(err)
	}
	scenario(t, db)
	streamRecs, err := dynamo.ReadStream(ctx(t), streams, name)
	if err != nil {
		t.Fatal(err)
	}

	emb := openEmbedded(t)
	scenario(t, emb)
	logRecs, err := emb.ReadChanges(ctx(t), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(streamRecs) != len(logRecs) {
		t.Fatalf("DynamoDB stream has %d records, the change log %d", len(streamRecs), len(logRecs))
	}
	for i := range streamRecs {
		s, l := streamRecs[i], logRecs[i]
		if s.EventName != l.EventName && i > 1 { // the first write's two records may come in either order
			t.Errorf("record %d: stream %s, log %s", i, s.EventName, l.EventName)
		}
		if s.Change.StreamViewType != l.Change.StreamViewType || s.EventSource != l.EventSource {
			t.Errorf("record %d: stream %s/%s, log %s/%s", i, s.EventSource, s.Change.StreamViewType, l.EventSource, l.Change.StreamViewType)
		}
	}
	got := map[string][]string{}
	for source, recs := range map[string][]events.DynamoDBEventRecord{"dynamodb": streamRecs, "embedded": logRecs} {
		sink := &recorder{}
		h, _ := streamsync.New(sink, nil)
		resp, err := h.Handle(ctx(t), events.DynamoDBEvent{Records: recs})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%s: %+v, %v", source, resp, err)
		}
		got[source] = sortFirstWrite(summary(sink.got))
	}
	if !reflect.DeepEqual(got["dynamodb"], wantSummary) {
		t.Errorf("from DynamoDB Streams\n got %q\nwant %q", got["dynamodb"], wantSummary)
	}
	if !reflect.DeepEqual(got["dynamodb"], got["embedded"]) {
		t.Errorf("sources disagree\ndynamodb %q\nembedded %q", got["dynamodb"], got["embedded"])
	}
}

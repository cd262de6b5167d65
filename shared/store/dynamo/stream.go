package dynamo

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/switchboard/switchboard/shared/store"
)

// StreamClient is the part of the DynamoDB Streams API ReadStream uses;
// *dynamodbstreams.Client implements it.
type StreamClient interface {
	ListStreams(ctx context.Context, in *dynamodbstreams.ListStreamsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.ListStreamsOutput, error)
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// maxCalls bounds every paging loop of ReadStream, so a misbehaving
// endpoint cannot keep it busy forever.
const maxCalls = 10000

// ReadStream reads every record the streams of table hold, oldest stream
// first and, within a stream, parent shards before their children, and
// returns them as Lambda receives them (events.DynamoDBEventRecord), the
// shape the embedded adapter's change log has too.
//
// A shard is read until DynamoDB Streams ends it or returns no records, so
// records written while ReadStream runs may be missed. It is for tests and
// tools that inspect a table's changes, not a stream consumer (on AWS,
// Lambda reads the stream).
func ReadStream(ctx context.Context, client StreamClient, table string) ([]events.DynamoDBEventRecord, error) {
	streams, err := listStreams(ctx, client, table)
	if err != nil {
		return nil, err
	}
	var out []events.DynamoDBEventRecord
	for _, arn := range streams {
		shards, err := listShards(ctx, client, arn)
		if err != nil {
			return nil, err
		}
		for _, sh := range shards {
			recs, err := readShard(ctx, client, arn, sh)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
		}
	}
	return out, nil
}

// listStreams returns the ARNs of a table's streams, oldest first.
func listStreams(ctx context.Context, client StreamClient, table string) ([]string, error) {
	var streams []streamtypes.Stream
	in := &dynamodbstreams.ListStreamsInput{TableName: aws.String(table)}
	for range maxCalls {
		out, err := client.ListStreams(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list streams of table %s: %w", table, err)
		}
		streams = append(streams, out.Streams...)
		if out.LastEvaluatedStreamArn == nil {
			break
		}
		in.ExclusiveStartStreamArn = out.LastEvaluatedStreamArn
	}
	// Stream labels are creation timestamps in ISO 8601.
	sort.SliceStable(streams, func(i, j int) bool {
		return aws.ToString(streams[i].StreamLabel) < aws.ToString(streams[j].StreamLabel)
	})
	arns := make([]string, len(streams))
	for i, s := range streams {
		arns[i] = aws.ToString(s.StreamArn)
	}
	return arns, nil
}

// listShards returns a stream's shards, parents before their children.
func listShards(ctx context.Context, client StreamClient, arn string) ([]streamtypes.Shard, error) {
	var shards []streamtypes.Shard
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)}
	for range maxCalls {
		out, err := client.DescribeStream(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe stream %s: %w", arn, err)
		}
		if out.StreamDescription == nil {
			break
		}
		shards = append(shards, out.StreamDescription.Shards...)
		if out.StreamDescription.LastEvaluatedShardId == nil {
			break
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
	return parentsFirst(shards), nil
}

// parentsFirst orders shards by their first sequence number and then moves
// every parent (when still listed) before its children.
func parentsFirst(shards []streamtypes.Shard) []streamtypes.Shard {
	sort.SliceStable(shards, func(i, j int) bool {
		return seqLess(startSeq(shards[i]), startSeq(shards[j]))
	})
	byID := make(map[string]streamtypes.Shard, len(shards))
	for _, sh := range shards {
		byID[aws.ToString(sh.ShardId)] = sh
	}
	done := make(map[string]bool, len(shards))
	out := make([]streamtypes.Shard, 0, len(shards))
	var visit func(sh streamtypes.Shard)
	visit = func(sh streamtypes.Shard) {
		id := aws.ToString(sh.ShardId)
		if done[id] {
			return
		}
		done[id] = true
		if parent, ok := byID[aws.ToString(sh.ParentShardId)]; ok {
			visit(parent)
		}
		out = append(out, sh)
	}
	for _, sh := range shards {
		visit(sh)
	}
	return out
}

func startSeq(sh streamtypes.Shard) string {
	if sh.SequenceNumberRange == nil {
		return ""
	}
	return aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber)
}

// seqLess compares decimal sequence numbers of any length.
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func readShard(ctx context.Context, client StreamClient, arn string, sh streamtypes.Shard) ([]events.DynamoDBEventRecord, error) {
	it, err := client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
		StreamArn:         aws.String(arn),
		ShardId:           sh.ShardId,
		ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
	})
	if err != nil {
		return nil, fmt.Errorf("shard iterator of %s: %w", aws.ToString(sh.ShardId), err)
	}
	var out []events.DynamoDBEventRecord
	next := it.ShardIterator
	for calls := 0; next != nil; calls++ {
		if calls == maxCalls {
			return nil, fmt.Errorf("read shard %s: no end after %d calls", aws.ToString(sh.ShardId), maxCalls)
		}
		page, err := client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: next})
		if err != nil {
			return nil, fmt.Errorf("read shard %s: %w", aws.ToString(sh.ShardId), err)
		}
		for _, r := range page.Records {
			rec, err := eventRecord(arn, r)
			if err != nil {
				return nil, fmt.Errorf("record %s: %w", aws.ToString(r.EventID), err)
			}
			out = append(out, rec)
		}
		if len(page.Records) == 0 {
			break
		}
		next = page.NextShardIterator
	}
	return out, nil
}

// eventRecord converts a DynamoDB Streams record into the record Lambda
// delivers for it.
func eventRecord(arn string, r streamtypes.Record) (events.DynamoDBEventRecord, error) {
	d := r.Dynamodb
	if d == nil {
		d = &streamtypes.StreamRecord{}
	}
	var imgs [3]map[string]events.DynamoDBAttributeValue
	for i, m := range []map[string]streamtypes.AttributeValue{d.Keys, d.NewImage, d.OldImage} {
		img, err := image(m)
		if err != nil {
			return events.DynamoDBEventRecord{}, err
		}
		imgs[i] = img
	}
	rec := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: arn,
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: aws.ToTime(d.ApproximateCreationDateTime)},
			Keys:                        imgs[0],
			NewImage:                    imgs[1],
			OldImage:                    imgs[2],
			SequenceNumber:              aws.ToString(d.SequenceNumber),
			SizeBytes:                   aws.ToInt64(d.SizeBytes),
			StreamViewType:              string(d.StreamViewType),
		},
	}
	if rec.EventSource == "" {
		rec.EventSource = "aws:dynamodb"
	}
	if u := r.UserIdentity; u != nil {
		rec.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(u.Type), PrincipalID: aws.ToString(u.PrincipalId)}
	}
	return rec, nil
}

func image(m map[string]streamtypes.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	item, err := attributevalue.FromDynamoDBStreamsMap(m)
	if err != nil {
		return nil, fmt.Errorf("convert image: %w", err)
	}
	return store.ToStream(item), nil
}

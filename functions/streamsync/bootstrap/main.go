// Command bootstrap is the streamsync function on AWS Lambda
// (provided.al2023), the event source of the table's DynamoDB stream.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard/switchboard/functions/awsenv"
	"github.com/switchboard/switchboard/functions/streamsync"
	"github.com/switchboard/switchboard/shared/change"
)

// logSink records what would be delivered. Delivery to the fleet's nodes
// arrives with the fleet's AWS shape, which decides how notifications
// reach every live node.
type logSink struct{ log *slog.Logger }

func (s logSink) Apply(_ context.Context, batch []change.Notification) error {
	s.log.Info("fleet notifications", "count", len(batch), "last_seq", batch[len(batch)-1].Sequence)
	return nil
}

func main() {
	env := awsenv.Must(context.Background())
	h, err := streamsync.New(logSink{log: env.Logger}, env.Logger)
	if err != nil {
		env.Logger.Error("streamsync", "err", err)
		return
	}
	lambda.Start(h.Handle)
}

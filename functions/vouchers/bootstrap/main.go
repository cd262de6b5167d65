// Command bootstrap is the vouchers function on AWS Lambda (provided.al2023).
package main

import (
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/vouchers"
)

func main() { api.ServeLambda(vouchers.Register) }

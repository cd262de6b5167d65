// Command bootstrap is the numbers function on AWS Lambda (provided.al2023).
package main

import (
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/numbers"
)

func main() { api.ServeLambda(numbers.Register) }

// Command bootstrap is the groups function on AWS Lambda (provided.al2023).
package main

import (
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/groups"
)

func main() { api.ServeLambda(groups.Register) }

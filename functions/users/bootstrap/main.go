// Command bootstrap is the users function on AWS Lambda (provided.al2023).
package main

import (
	"github.com/switchboard/switchboard/functions/api"
	"github.com/switchboard/switchboard/functions/users"
)

func main() { api.ServeLambda(users.Register) }

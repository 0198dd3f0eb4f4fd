// Command edupulse is the EduPulse Live server: `serve` (the default),
// `migrate` and `token`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "edupulse:", err)
		os.Exit(1)
	}
}

const usage = `usage: edupulse [command]

commands:
  serve      run the API server (the default)
  migrate    apply the database migrations and exit
  token      print a signed token: token --sub UUID --role student|teacher|admin [--ttl 1h]
  version    print the build's version and commit

configuration comes from the environment: EDUPULSE_HTTP_ADDR, EDUPULSE_DATA_DIR,
DATABASE_URL, NATS_URL, EDUPULSE_JWT_SECRET, EDUPULSE_ALLOWED_ORIGINS (see README.md).
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, getenv, stdout)
	case "token":
		return token(args, getenv, stdout)
	case "version", "--version":
		return printVersion(stdout)
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	}
	_, _ = io.WriteString(stderr, usage)
	return errors.New("unknown command " + cmd)
}

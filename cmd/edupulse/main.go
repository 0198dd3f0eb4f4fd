// Command edupulse is the EduPulse Live server: `serve` (the default),
// `migrate`, `token` and `version`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/edupulse/edupulse-live/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, errUsage) {
		os.Exit(2) // the usage is printed already
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "edupulse:", err)
		os.Exit(1)
	}
}

// errUsage is a command line that names no known command or flag: the
// usage went to stderr, and the exit status is 2, as flag's own.
var errUsage = errors.New("usage error")

// command is one subcommand: its one-line summary, its usage, the
// variables it reads (all of them, for --help) and what it does with the
// arguments left after its flags.
type command struct {
	name, summary, args string
	vars                []config.Var
	flags               func(fs *flag.FlagSet) func(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error
}

// migrateVars and tokenVars are what those commands read; they see no
// other variable (config.Only), so that a setting only serve needs can
// neither break nor slow them.
var (
	migrateVars = []string{"DATABASE_URL", "EDUPULSE_DATA_DIR"}
	tokenVars   = []string{"EDUPULSE_JWT_SECRET", "EDUPULSE_JWT_MAX_TTL"}
)

func varsNamed(names ...string) []config.Var {
	var out []config.Var
	for _, v := range config.Variables {
		for _, n := range names {
			if v.Name == n {
				out = append(out, v)
			}
		}
	}
	return out
}

var commands = []command{
	{
		name: "serve", summary: "run the API server (the default command)",
		vars: append(append([]config.Var{}, config.Variables...), config.TracingVariables...),
		flags: func(*flag.FlagSet) func(context.Context, func(string) string, io.Writer, io.Writer) error {
			return serve
		},
	},
	{
		name: "migrate", summary: "apply the database migrations and exit",
		vars: varsNamed(migrateVars...),
		flags: func(*flag.FlagSet) func(context.Context, func(string) string, io.Writer, io.Writer) error {
			return func(ctx context.Context, getenv func(string) string, stdout, _ io.Writer) error {
				return migrate(ctx, config.Only(getenv, migrateVars...), stdout)
			}
		},
	},
	{
		name: "token", summary: "print a signed token for an actor", args: "--sub UUID --role student|teacher|admin [--ttl 1h]",
		vars:  varsNamed(tokenVars...),
		flags: tokenFlags,
	},
	{
		name: "version", summary: "print the build's version, commit and build time",
		flags: func(*flag.FlagSet) func(context.Context, func(string) string, io.Writer, io.Writer) error {
			return func(_ context.Context, _ func(string) string, stdout, _ io.Writer) error { return printVersion(stdout) }
		},
	},
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: edupulse [command] [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("  help      print this, or a command's usage: help <command>\n\n" +
		"`edupulse <command> --help` lists the command's flags and the environment\n" +
		"variables it reads. Configuration comes from the environment only.\n")
	return b.String()
}

func (c command) usage(fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: edupulse %s", c.name)
	if c.args != "" {
		b.WriteString(" " + c.args)
	}
	fmt.Fprintf(&b, "\n\n%s.\n", strings.ToUpper(c.summary[:1])+c.summary[1:])
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nflags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
	}
	if len(c.vars) == 0 {
		b.WriteString("\nIt reads no environment variable.\n")
		return b.String()
	}
	b.WriteString("\nenvironment:\n")
	for _, v := range c.vars {
		fmt.Fprintf(&b, "  %-35s %s\n", v.Name, v.Help)
	}
	return b.String()
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	name, explicit := "serve", false
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args, explicit = args[0], args[1:], true
	}
	if !explicit && len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		// `edupulse -h` asks for the program's usage, not serve's.
		_, err := io.WriteString(stdout, usage())
		return err
	}
	if name == "help" {
		if len(args) == 0 {
			_, err := io.WriteString(stdout, usage())
			return err
		}
		// `help serve` is `serve --help`.
		name, args = args[0], []string{"--help"}
	}
	if !explicit && len(args) == 1 && args[0] == "--version" {
		return printVersion(stdout)
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		fs.SetOutput(io.Discard) // errors and usage are written below
		do := c.flags(fs)
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				_, err := io.WriteString(stdout, c.usage(fs))
				return err
			}
			fmt.Fprintf(stderr, "edupulse %s: %v\n\n%s", c.name, err, c.usage(fs))
			return errUsage
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "edupulse %s: unexpected argument %q\n\n%s", c.name, fs.Arg(0), c.usage(fs))
			return errUsage
		}
		return do(ctx, getenv, stdout, stderr)
	}
	fmt.Fprintf(stderr, "edupulse: unknown command %q\n\n%s", name, usage())
	return errUsage
}

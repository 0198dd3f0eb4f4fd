package edupulse_test

// Checks of the deployment files that need no container engine: the
// compose file parses and wires the services as docs/deployment.md says,
// its environment is accepted by the server's own configuration, the load
// balancer points at the instances, and the Dockerfile builds the binary
// exactly as scripts/check-static.sh (make check-static) does.

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/edupulse/edupulse-live/internal/config"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image        string            `yaml:"image"`
	Build        any               `yaml:"build"`
	Command      []string          `yaml:"command"`
	Environment  map[string]string `yaml:"environment"`
	RawDependsOn yaml.Node         `yaml:"depends_on"`
	Volumes      []string          `yaml:"volumes"`
	Ports        []string          `yaml:"ports"`
	Healthcheck  *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Restart  string `yaml:"restart"`
	ReadOnly bool   `yaml:"read_only"`
}

// dependsOn reads depends_on in either of its forms (a list of names, or a
// map of name to condition); a bare name means service_started.
func (s composeService) dependsOn(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch s.RawDependsOn.Kind {
	case 0:
	case yaml.SequenceNode:
		var names []string
		require.NoError(t, s.RawDependsOn.Decode(&names))
		for _, n := range names {
			out[n] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		require.NoError(t, s.RawDependsOn.Decode(&m))
		for n, c := range m {
			out[n] = c.Condition
		}
	default:
		t.Fatalf("depends_on: unexpected YAML kind %v", s.RawDependsOn.Kind)
	}
	return out
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var c composeFile
	require.NoError(t, yaml.Unmarshal(raw, &c), "compose.yaml parses (anchors and merge keys included)")
	return c
}

// interpolate substitutes compose's ${VAR}, ${VAR:-default} and
// ${VAR:?message} from vars; a required variable that is missing fails.
func interpolate(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	re := regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}`)
	return re.ReplaceAllStringFunc(s, func(m string) string {
		p := re.FindStringSubmatch(m)
		v, ok := vars[p[1]]
		switch {
		case ok && v != "":
			return v
		case p[2] == "-":
			return p[3]
		case p[2] == "?":
			t.Fatalf("%s is required (%s)", p[1], p[3])
		}
		return ""
	})
}

var edupulseInstances = []string{"edupulse-1", "edupulse-2", "edupulse-3"}

func TestComposeServices(t *testing.T) {
	t.Parallel()
	c := readCompose(t)

	var names []string
	for n := range c.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	require.Equal(t, []string{"edupulse-1", "edupulse-2", "edupulse-3", "lb", "migrate",
		"nats-1", "nats-2", "nats-3", "postgres"}, names)

	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, ok := strings.Cut(v, ":")
			require.True(t, ok, "%s: volume %q is source:target", name, v)
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				require.Contains(t, c.Volumes, src, "%s: named volume %q is declared", name, src)
			}
		}
		for dep := range s.dependsOn(t) {
			require.Contains(t, c.Services, dep, "%s depends on a service that exists", name)
		}
	}

	pg := c.Services["postgres"]
	require.NotNil(t, pg.Healthcheck, "postgres has a healthcheck: migrate waits for it")
	require.Equal(t, "service_healthy", c.Services["migrate"].dependsOn(t)["postgres"])
	require.Equal(t, []string{"migrate"}, c.Services["migrate"].Command)
	require.Equal(t, "no", c.Services["migrate"].Restart, "migrate runs once")
}

func TestComposeNATSCluster(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	nodes := []string{"nats-1", "nats-2", "nats-3"}
	var routes []string
	for _, n := range nodes {
		routes = append(routes, "nats://"+n+":6222")
	}
	stores := map[string]bool{}
	for _, n := range nodes {
		s := c.Services[n]
		require.NotEmpty(t, s.Command, n)
		require.Equal(t, "nats-server", s.Command[0], n)
		flags := map[string]string{}
		for _, a := range s.Command[1:] {
			k, v, _ := strings.Cut(a, "=")
			flags[k] = v
		}
		require.Equal(t, n, flags["--name"], "%s: a distinct server name (JetStream needs one per node)", n)
		require.Contains(t, flags, "--jetstream", n)
		require.Equal(t, "edupulse", flags["--cluster_name"], n)
		require.Equal(t, "nats://0.0.0.0:6222", flags["--cluster"], n)
		require.ElementsMatch(t, routes, strings.Split(flags["--routes"], ","), "%s routes to every node", n)
		require.Equal(t, "4222", flags["--port"], n)
		require.Equal(t, "8222", flags["--http_port"], n, "the healthcheck probes the monitoring port")
		require.Equal(t, "/data", flags["--store_dir"], n)

		var vol string
		for _, v := range s.Volumes {
			if src, dst, _ := strings.Cut(v, ":"); dst == "/data" {
				vol = src
			}
		}
		require.NotEmpty(t, vol, "%s keeps its JetStream store in a volume", n)
		require.False(t, stores[vol], "%s: each node has a volume of its own", n)
		stores[vol] = true
		require.NotNil(t, s.Healthcheck, n)
	}
}

func TestComposeInstances(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	vars := map[string]string{
		"EDUPULSE_JWT_SECRET": strings.Repeat("s", 64),
		"POSTGRES_PASSWORD":   "pw",
	}
	pg := c.Services["postgres"]
	for _, name := range append([]string{"migrate"}, edupulseInstances...) {
		s := c.Services[name]
		require.NotEmpty(t, s.Build, "%s builds the image from the Dockerfile", name)
		require.NotEmpty(t, s.Image, name)

		env := map[string]string{}
		for k, v := range s.Environment {
			env[k] = interpolate(t, v, vars)
		}
		cfg, err := config.FromEnv(func(k string) string { return env[k] })
		require.NoError(t, err, "%s: the server accepts its environment", name)
		require.Equal(t, 3, cfg.StreamReplicas, name)
		require.False(t, cfg.DevMode(), "%s: a JWT secret is set", name)
		require.Equal(t, vars["EDUPULSE_JWT_SECRET"], cfg.JWTSecret, "%s: the secret comes from the environment", name)
		require.Equal(t, "production", env["EDUPULSE_ENV"], name)
		require.Equal(t, "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", cfg.NATSURL, name)
		require.Equal(t, "postgres://edupulse:pw@postgres:5432/"+pg.Environment["POSTGRES_DB"]+"?sslmode=disable", cfg.DatabaseURL, name)
		require.Equal(t, "edupulse", pg.Environment["POSTGRES_USER"])
		require.Equal(t, "0.0.0.0:8080", cfg.HTTPAddr, name)
	}
	for _, name := range edupulseInstances {
		s := c.Services[name]
		deps := s.dependsOn(t)
		require.Equal(t, "service_completed_successfully", deps["migrate"], name)
		for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
			require.Equal(t, "service_started", deps[n], "%s starts whatever the bus's state", name)
		}
		require.Equal(t, []string{"serve"}, s.Command, name)
		require.Empty(t, s.Ports, "%s is reached through the load balancer only", name)
		require.True(t, s.ReadOnly, name)
	}
}

func TestComposeLoadBalancer(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	lb := c.Services["lb"]
	require.Len(t, lb.Ports, 1)
	var caddyfile string
	for _, v := range lb.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		if strings.HasPrefix(dst, "/etc/caddy/Caddyfile") {
			caddyfile = src
		}
	}
	require.Equal(t, "./deploy/Caddyfile", caddyfile)
	raw, err := os.ReadFile(caddyfile)
	require.NoError(t, err)
	text := string(raw)

	m := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+(.+?)\s*\{`).FindStringSubmatch(text)
	require.NotNil(t, m, "the Caddyfile has a reverse_proxy block")
	var want []string
	for _, n := range edupulseInstances {
		_, port, _ := strings.Cut(c.Services[n].Environment["EDUPULSE_HTTP_ADDR"], ":")
		want = append(want, n+":"+port)
	}
	require.ElementsMatch(t, want, strings.Fields(m[1]), "the load balancer sends to every instance")
	require.Regexp(t, `(?m)^\s*health_uri\s+/readyz\s*$`, text)
	require.Regexp(t, `(?m)^\s*lb_policy\s+least_conn\s*$`, text)
	require.NotRegexp(t, `(?m)^\s*lb_policy\s+(cookie|ip_hash|client_ip_hash)`, text, "no sticky sessions")
	require.Equal(t, strings.Count(text, "{"), strings.Count(text, "}"), "braces balance")
	deps := lb.dependsOn(t)
	for _, n := range edupulseInstances {
		require.Contains(t, deps, n)
	}
}

// goBuild finds the `go build` command line in a file (a Dockerfile RUN, a
// shell script line, continuation lines joined) and returns its words
// after `go build`, with the output path and the environment assignments
// before it, GOOS and GOARCH aside (the image cross-compiles).
func goBuild(t *testing.T, path string) (env, args []string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	var found []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "go build") && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			found = append(found, line)
		}
	}
	require.Len(t, found, 1, "%s has one go build command", path)
	words := shellWords(t, found[0])
	i := slices.Index(words, "go")
	require.True(t, i >= 0 && i+1 < len(words) && words[i+1] == "build", path)
	for _, w := range words[:i] {
		if strings.HasPrefix(w, "CGO_ENABLED=") {
			env = append(env, w)
		}
	}
	rest := words[i+2:]
	for j := 0; j < len(rest); j++ {
		if rest[j] == "-o" {
			j++ // the output path differs
			continue
		}
		args = append(args, rest[j])
	}
	return env, args
}

// shellWords splits a line on blanks, honouring double quotes.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var (
		words []string
		cur   strings.Builder
		quote bool
		have  bool
	)
	for _, r := range line {
		switch {
		case r == '"':
			quote, have = !quote, true
		case (r == ' ' || r == '\t') && !quote:
			if have {
				words = append(words, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	require.False(t, quote, "unbalanced quotes in %q", line)
	if have {
		words = append(words, cur.String())
	}
	return words
}

func TestDockerfileBuildsAsCheckStatic(t *testing.T) {
	t.Parallel()
	denv, dargs := goBuild(t, "Dockerfile")
	senv, sargs := goBuild(t, "scripts/check-static.sh")
	require.Equal(t, []string{"CGO_ENABLED=0"}, denv)
	require.Equal(t, denv, senv, "the same environment")
	require.Equal(t, dargs, sargs, "the same flags and package")
	require.Contains(t, dargs, "-trimpath")
	require.Contains(t, dargs, "./cmd/edupulse")
	i := slices.Index(dargs, "-ldflags")
	require.True(t, i >= 0 && i+1 < len(dargs))
	require.Subset(t, strings.Fields(dargs[i+1]), []string{"-s", "-w"})
}

func TestDockerfileFinalImage(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	var stages [][]string // each stage's instructions, continuation lines joined
	for _, line := range strings.Split(strings.ReplaceAll(string(raw), "\\\n", " "), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], line)
		}
	}
	require.GreaterOrEqual(t, len(stages), 2, "multi-stage")
	final := stages[len(stages)-1]
	require.Equal(t, "FROM scratch", final[0])
	var user, entrypoint string
	var exposed []string
	for _, ins := range final {
		word, rest, _ := strings.Cut(ins, " ")
		switch strings.ToUpper(word) {
		case "RUN":
			t.Fatalf("the final stage cannot RUN anything: it has no shell (%s)", ins)
		case "HEALTHCHECK":
			t.Fatalf("a HEALTHCHECK needs a program in the image to run: %s", ins)
		case "USER":
			user = rest
		case "ENTRYPOINT":
			entrypoint = rest
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(rest)...)
		}
	}
	uid, gid, _ := strings.Cut(user, ":")
	for _, id := range []string{uid, gid} {
		n, err := strconv.Atoi(id)
		require.NoError(t, err, "USER is numeric (no /etc/passwd in scratch): %q", user)
		require.NotZero(t, n, "not root")
	}
	require.Equal(t, `["/edupulse"]`, entrypoint, "exec form: no shell to run a string")
	require.Contains(t, exposed, "8080")
}

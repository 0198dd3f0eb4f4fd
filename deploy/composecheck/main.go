// Command composecheck checks the deployment files without a container
// engine, with the libraries Docker's own tools use:
//
//   - compose.yaml loads with compose-go (the loader behind
//     `docker compose config`): it is valid against the Compose
//     specification's schema, its anchors, merges and variables resolve,
//     and it refuses to load without EDUPULSE_JWT_SECRET;
//   - the Docker build context, as .dockerignore leaves it (moby's
//     patternmatcher, as the docker CLI applies it), holds everything the
//     Dockerfile's `go build` needs: that command is taken from the
//     Dockerfile and run in a copy of the context.
//
// It is a module of its own, so that these libraries stay out of the
// server's go.mod. From the repository root:
//
//	go -C deploy/composecheck run . ../..
package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	root, err := filepath.Abs(root)
	check(err)
	checkCompose(root)
	checkBuildContext(root)
	fmt.Println("composecheck: ok")
}

func checkCompose(root string) {
	ctx := context.Background()
	load := func(env []string) (map[string]string, error) {
		opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "compose.yaml")},
			cli.WithWorkingDirectory(root), cli.WithEnv(env), cli.WithInterpolation(true))
		if err != nil {
			return nil, err
		}
		p, err := opts.LoadProject(ctx)
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for name, s := range p.Services {
			deps := []string{}
			for d, c := range s.DependsOn {
				deps = append(deps, d+"("+c.Condition+")")
			}
			slices.Sort(deps)
			out[name] = fmt.Sprintf("image=%s command=%v depends_on=%v", s.Image, []string(s.Command), deps)
		}
		return out, nil
	}
	services, err := load([]string{"EDUPULSE_JWT_SECRET=" + strings.Repeat("x", 32), "POSTGRES_PASSWORD=pw"})
	check(err)
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Println("compose.yaml: valid; services:")
	for _, n := range names {
		fmt.Printf("  %-11s %s\n", n, services[n])
	}
	if _, err := load([]string{"POSTGRES_PASSWORD=pw"}); err == nil || !strings.Contains(err.Error(), "EDUPULSE_JWT_SECRET") {
		fail("compose.yaml loads without EDUPULSE_JWT_SECRET (err: %v)", err)
	}
	fmt.Println("compose.yaml: refuses to load without EDUPULSE_JWT_SECRET")
}

func checkBuildContext(root string) {
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	check(err)
	patterns, err := ignorefile.ReadAll(f)
	f.Close()
	check(err)
	pm, err := patternmatcher.New(patterns)
	check(err)
	dst, err := os.MkdirTemp("", "composecheck-")
	check(err)
	defer os.RemoveAll(dst)
	copied, excluded := 0, 0
	check(filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		skip, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		if skip {
			excluded++
			if d.IsDir() && !pm.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			copied++
			return copyFile(path, target)
		}
		return nil
	}))
	fmt.Printf("build context: %d files (%d paths left out by .dockerignore)\n", copied, excluded)

	raw, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	check(err)
	var run string
	for _, ins := range strings.Split(strings.ReplaceAll(string(raw), "\\\n", " "), "\n") {
		if strings.HasPrefix(ins, "RUN ") && strings.Contains(ins, "go build") {
			run = ins
		}
	}
	if run == "" {
		fail("no RUN ... go build in the Dockerfile")
	}
	cmd := regexp.MustCompile(`--mount=\S+`).ReplaceAllString(strings.TrimPrefix(run, "RUN "), "")
	out := filepath.Join(dst, ".out", "edupulse")
	cmd = strings.Replace(cmd, "/out/edupulse", out, 1)
	cmd = strings.Join(strings.Fields(cmd), " ")
	fmt.Println("build: " + cmd)
	sh := exec.Command("sh", "-c", cmd)
	sh.Dir = dst
	sh.Env = append(os.Environ(), "TARGETOS="+runtime.GOOS, "TARGETARCH="+runtime.GOARCH, "VERSION=composecheck")
	sh.Stdout, sh.Stderr = os.Stdout, os.Stderr
	check(sh.Run())
	st, err := os.Stat(out)
	check(err)
	fmt.Printf("build: ok in the context .dockerignore leaves (%d bytes)\n", st.Size())
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "composecheck: "+format+"\n", args...)
	os.Exit(1)
}

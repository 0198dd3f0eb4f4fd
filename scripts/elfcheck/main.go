// Command elfcheck fails unless each ELF file named on its command line is
// statically linked: no program interpreter (PT_INTERP: the dynamic loader
// a kernel would start first), no dynamic section and no shared library
// needed. It needs nothing but Go, unlike file(1), ldd(1) or readelf(1).
//
//	go run ./scripts/elfcheck bin/edupulse
package main

import (
	"debug/elf"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: elfcheck FILE...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		if err := check(path); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("%s: static ELF, no interpreter, no dynamic section, no shared libraries\n", path)
	}
	if failed {
		os.Exit(1)
	}
}

func check(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			return fmt.Errorf("dynamically linked: it has a program interpreter (PT_INTERP)")
		case elf.PT_DYNAMIC:
			return fmt.Errorf("dynamically linked: it has a dynamic segment (PT_DYNAMIC)")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("reading its dynamic imports: %w", err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("needs shared libraries %v", libs)
	}
	return nil
}

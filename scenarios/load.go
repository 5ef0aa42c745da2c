package scenarios

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// DefaultBase is the scenario a file without a base key starts from.
const DefaultBase = "default"

// LoadFile reads a scenario from a YAML file (see Load).
func LoadFile(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		if pe, ok := err.(*os.PathError); ok {
			msg = pe.Err.Error()
		}
		return Scenario{}, &FileError{File: path, Msg: "cannot read the scenario file: " + msg}
	}
	return Load(path, data)
}

// Load reads a scenario from YAML text; file names it in errors. The text
// is one mapping: `base: NAME` (optional) picks the named scenario it
// starts from (DefaultBase without it); name, purpose and expect
// set the Scenario's own fields; every other key is a sim.Config key
// (seed, duration, rigs, agents, town, containers, work, github,
// workload, latency, faults, knobs, ...), nested as Config.Validate
// names them. Only the keys
// written change; a dist mapping replaces the whole distribution, a list
// the whole list. The name defaults to the file's base name without its
// extension.
//
// Loading is strict: an unknown or repeated key, a value of the wrong
// type, a bad duration or dist, and an impossible value (Scenario.Validate)
// are a *FileError naming the file, the line, the key path and what was
// expected.
func Load(file string, data []byte) (Scenario, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return Scenario{}, parseError(file, err)
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	switch len(docs) {
	case 0:
		return Scenario{}, &FileError{File: file, Msg: "is empty; want a mapping of scenario keys (see `townsim scenarios --yaml default`)"}
	case 1:
	default:
		return Scenario{}, &FileError{File: file, Line: lineOf(docs[1].Body, 0),
			Msg: "holds more than one YAML document; want one scenario per file"}
	}
	d := &decoder{file: file, lines: map[string]int{}}
	body, err := d.unwrap(docs[0].Body, "", 1)
	if err != nil {
		return Scenario{}, err
	}
	ps, ok := pairs(body)
	if !ok {
		return Scenario{}, d.errorf(lineOf(body, 1), "", "expected a mapping of scenario keys, got %s", describe(body))
	}

	baseName, baseLine := DefaultBase, 0
	for _, kv := range ps {
		if keyText(kv.Key) != "base" {
			continue
		}
		baseLine = lineOf(kv.Key, 0)
		var name string
		if err := d.value(kv.Value, reflect.ValueOf(&name).Elem(), "base", baseLine); err != nil {
			return Scenario{}, err
		}
		baseName = name
	}
	s, err := ByName(baseName)
	if err != nil {
		return Scenario{}, d.errorf(baseLine, "base", "%v", err)
	}
	named := false
	for _, kv := range ps {
		named = named || keyText(kv.Key) == "name"
	}
	if !named {
		s.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if err := d.fields(ps, reflect.ValueOf(&s).Elem(), "", map[string]bool{"base": true}); err != nil {
		return Scenario{}, err
	}
	if err := s.Validate(); err != nil {
		return Scenario{}, d.validation(err)
	}
	return s, nil
}

// validation places a Validate error ("key.path: message") at the line of
// the key it names, or of its nearest written parent; a value inherited
// from the base has no line.
func (d *decoder) validation(err error) error {
	path, msg, ok := strings.Cut(err.Error(), ": ")
	if !ok || strings.ContainsAny(path, " ") {
		return &FileError{File: d.file, Msg: err.Error()}
	}
	for p := path; p != ""; {
		if line, ok := d.lines[p]; ok {
			return &FileError{File: d.file, Line: line, Path: path, Msg: msg}
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return &FileError{File: d.file, Path: path, Msg: msg + " (the value comes from the base scenario)"}
}

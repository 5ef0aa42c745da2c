package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// The shapes below are the fields of Kubernetes' batch/v1 Job (and core/v1
// PersistentVolumeClaim) that the manifests use; decoding is strict, so a
// misspelt or misplaced key fails the test as `kubectl apply --validate`
// would.
type k8sMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type k8sJob struct {
	APIVersion string  `yaml:"apiVersion"`
	Kind       string  `yaml:"kind"`
	Metadata   k8sMeta `yaml:"metadata"`
	Spec       struct {
		CompletionMode   string `yaml:"completionMode"`
		Completions      *int   `yaml:"completions"`
		Parallelism      *int   `yaml:"parallelism"`
		BackoffLimit     *int   `yaml:"backoffLimit"`
		PodFailurePolicy *struct {
			Rules []struct {
				Action      string `yaml:"action"`
				OnExitCodes struct {
					Operator string `yaml:"operator"`
					Values   []int  `yaml:"values"`
				} `yaml:"onExitCodes"`
			} `yaml:"rules"`
		} `yaml:"podFailurePolicy"`
		Template struct {
			Metadata k8sMeta `yaml:"metadata"`
			Spec     struct {
				RestartPolicy string         `yaml:"restartPolicy"`
				Containers    []k8sContainer `yaml:"containers"`
				Volumes       []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sPVC struct {
	APIVersion string  `yaml:"apiVersion"`
	Kind       string  `yaml:"kind"`
	Metadata   k8sMeta `yaml:"metadata"`
	Spec       struct {
		AccessModes []string `yaml:"accessModes"`
		Resources   struct {
			Requests map[string]string `yaml:"requests"`
		} `yaml:"resources"`
	} `yaml:"spec"`
}

// readManifests decodes a file's documents strictly: Jobs and PVCs.
func readManifests(t *testing.T, path string) ([]k8sJob, []k8sPVC) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []k8sJob
	var pvcs []k8sPVC
	for i, doc := range regexp.MustCompile(`(?m)^---$`).Split(string(data), -1) {
		var head struct {
			Kind string `yaml:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		switch head.Kind {
		case "Job":
			var j k8sJob
			if err := yaml.UnmarshalWithOptions([]byte(doc), &j, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
				t.Fatalf("%s: document %d (Job): %v", path, i, err)
			}
			jobs = append(jobs, j)
		case "PersistentVolumeClaim":
			var p k8sPVC
			if err := yaml.UnmarshalWithOptions([]byte(doc), &p, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
				t.Fatalf("%s: document %d (PVC): %v", path, i, err)
			}
			pvcs = append(pvcs, p)
		default:
			t.Fatalf("%s: document %d: kind %q; want Job or PersistentVolumeClaim", path, i, head.Kind)
		}
	}
	return jobs, pvcs
}

// checkJob checks what every Job of the recipe needs: a batch/v1 Job that
// does not restart in place, one container with an image, CPU and memory
// requested and limited, and the results volume mounted from the claim.
func checkJob(t *testing.T, j k8sJob, claim string) k8sContainer {
	t.Helper()
	s := j.Spec
	if j.APIVersion != "batch/v1" || j.Kind != "Job" || j.Metadata.Name == "" {
		t.Errorf("%s: apiVersion %q kind %q; want a named batch/v1 Job", j.Metadata.Name, j.APIVersion, j.Kind)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions < 1 || *s.Parallelism < 1 || *s.Parallelism > *s.Completions {
		t.Fatalf("%s: completions %v parallelism %v; want 1 ≤ parallelism ≤ completions", j.Metadata.Name, s.Completions, s.Parallelism)
	}
	ps := s.Template.Spec
	if ps.RestartPolicy != "Never" {
		t.Errorf("%s: restartPolicy %q; want Never (a pod failure policy needs it, and a shard must not restart over its own output)", j.Metadata.Name, ps.RestartPolicy)
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%s: %d containers; want 1", j.Metadata.Name, len(ps.Containers))
	}
	c := ps.Containers[0]
	if c.Image == "" {
		t.Errorf("%s: no image", j.Metadata.Name)
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
			t.Errorf("%s: resources: %s must be requested and limited", j.Metadata.Name, r)
		}
	}
	if len(ps.Volumes) != 1 || ps.Volumes[0].PersistentVolumeClaim.ClaimName != claim ||
		len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != ps.Volumes[0].Name || c.VolumeMounts[0].MountPath != "/results" {
		t.Errorf("%s: want the claim %s mounted at /results; volumes %+v mounts %+v", j.Metadata.Name, claim, ps.Volumes, c.VolumeMounts)
	}
	return c
}

// shellWords splits the container's shell line into the townsim command's
// words, up to the first ';'.
func shellWords(t *testing.T, c k8sContainer) []string {
	t.Helper()
	if !slices.Equal(c.Command, []string{"/bin/sh", "-c"}) || len(c.Args) != 1 {
		t.Fatalf("container %s: command %q args %q; want /bin/sh -c with one line", c.Name, c.Command, c.Args)
	}
	line, rest, _ := strings.Cut(c.Args[0], ";")
	if !strings.Contains(rest, "test $rc -le 1") {
		t.Errorf("container %s: %q does not map exit 1 (failures found) to success", c.Name, c.Args[0])
	}
	return strings.Fields(line)
}

func TestKubernetesExploreJob(t *testing.T) {
	dir := filepath.Join("..", "..", "deploy", "kubernetes")
	jobs, pvcs := readManifests(t, filepath.Join(dir, "explore-job.yaml"))
	if len(jobs) != 1 || len(pvcs) != 1 {
		t.Fatalf("explore-job.yaml: %d Jobs and %d claims; want 1 and 1", len(jobs), len(pvcs))
	}
	pvc := pvcs[0]
	if pvc.APIVersion != "v1" || !slices.Contains(pvc.Spec.AccessModes, "ReadWriteMany") || pvc.Spec.Resources.Requests["storage"] == "" {
		t.Errorf("claim %s: %+v; want a v1 ReadWriteMany claim with storage (every shard writes to it)", pvc.Metadata.Name, pvc)
	}
	j := jobs[0]
	c := checkJob(t, j, pvc.Metadata.Name)
	if j.Spec.CompletionMode != "Indexed" {
		t.Errorf("completionMode %q; want Indexed (each pod's index is its shard)", j.Spec.CompletionMode)
	}
	completions := strconv.Itoa(*j.Spec.Completions)
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["JOB_COMPLETIONS"] != completions {
		t.Errorf("JOB_COMPLETIONS = %q; want completions, %s", env["JOB_COMPLETIONS"], completions)
	}
	if p := j.Spec.PodFailurePolicy; p == nil || len(p.Rules) == 0 || p.Rules[0].Action != "FailJob" || !slices.Contains(p.Rules[0].OnExitCodes.Values, 2) {
		t.Errorf("podFailurePolicy %+v; want FailJob on exit 2 (bad usage: retrying cannot help)", p)
	}
	words := shellWords(t, c)
	if len(words) < 2 || words[0] != "townsim" || words[1] != "explore" {
		t.Fatalf("the shard runs %q; want townsim explore", words)
	}
	// The flags are townsim's own, parsed as the pod would, with the
	// index the Job controller sets.
	args := slices.Clone(words[2:])
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "${JOB_COMPLETION_INDEX}", "3")
	}
	f, o, err := parseExploreFlags(args, io.Discard, func(k string) string {
		return map[string]string{"JOB_COMPLETION_INDEX": "3", "JOB_COMPLETIONS": env["JOB_COMPLETIONS"]}[k]
	})
	if err != nil {
		t.Fatalf("townsim explore %q: %v", args, err)
	}
	if o.Shard != 3 || strconv.Itoa(o.Shards) != completions {
		t.Errorf("pod 3 runs shard %d of %d; want 3 of %s", o.Shard, o.Shards, completions)
	}
	if f.out != "/results/shard-3" {
		t.Errorf("pod 3 writes %q; want /results/shard-3 (a folder per shard on the volume)", f.out)
	}
	if cpu := c.Resources.Requests["cpu"]; cpu != strconv.Itoa(f.jobs) {
		t.Errorf("-j %d with a CPU request of %q; want them equal (a worker process per core)", f.jobs, cpu)
	}

	merges, more := readManifests(t, filepath.Join(dir, "explore-merge-job.yaml"))
	if len(merges) != 1 || len(more) != 0 {
		t.Fatalf("explore-merge-job.yaml: %d Jobs, %d claims; want 1 Job", len(merges), len(more))
	}
	mc := checkJob(t, merges[0], pvc.Metadata.Name)
	mw := shellWords(t, mc)
	if len(mw) < 2 || mw[0] != "townsim" || mw[1] != "merge" || !slices.Contains(mw, "/results/shard-*") {
		t.Errorf("the merge runs %q; want townsim merge of /results/shard-*", mw)
	}
}

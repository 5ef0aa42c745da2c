package reconciler

import (
	"net/http"

	"github.com/townsim/townsim/model"
)

// CallRecorder is told of every call of production's action context
// (ApplyActionContext in actions.ts) a side effect makes, when the Env the
// effect runs with implements it: the context method's name, its
// arguments and the answer the port used, both in production's shape (a
// non-empty threw is the message it threw instead). Differential mode
// records them so that the original's effect can be given the same
// answers. Recording changes nothing in the run.
type CallRecorder interface {
	RecordCall(kind string, args map[string]any, answer any, threw string)
}

func recordCall(env model.Env, kind string, args map[string]any, answer any, threw string) {
	if r, ok := env.(CallRecorder); ok {
		r.RecordCall(kind, args, answer, threw)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkPRStatus is ctx.checkPRStatus (checkPRStatusRaw, recorded).
func checkPRStatus(t *model.Town, env model.Env, prURL string) (prOutcome, error) {
	out, err := checkPRStatusRaw(t, env, prURL)
	recordCall(env, "checkPRStatus", map[string]any{"pr_url": prURL}, out.production(), errText(err))
	return out, err
}

// checkPRFeedback is ctx.checkPRFeedback (checkPRFeedbackRaw, recorded).
func checkPRFeedback(t *model.Town, env model.Env, prURL string) (*model.PRFeedback, error) {
	fb, err := checkPRFeedbackRaw(t, env, prURL)
	var answer any
	if fb != nil {
		answer = map[string]any{
			"hasUnresolvedComments": fb.HasUnresolvedComments,
			"hasFailingChecks":      fb.HasFailingChecks,
			"allChecksPass":         fb.AllChecksPass,
			"hasUncheckedRuns":      fb.HasUncheckedRuns,
			"awaitingApproval":      fb.AwaitingApproval(),
			"changesRequested":      fb.ChangesRequested(),
			"reviewDecision":        orNil(fb.ReviewDecision),
			"mergeStateStatus":      orNil(fb.MergeStateStatus),
			"isDraft":               false,
		}
	}
	recordCall(env, "checkPRFeedback", map[string]any{"pr_url": prURL}, answer, errText(err))
	return fb, err
}

// mergePR is ctx.mergePR (mergePRRaw, recorded).
func mergePR(t *model.Town, env model.Env, prURL string) (bool, error) {
	ok, err := mergePRRaw(t, env, prURL)
	recordCall(env, "mergePR", map[string]any{"pr_url": prURL}, ok, errText(err))
	return ok, err
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// production is the outcome as production's PRStatusOutcome object.
func (o prOutcome) production() map[string]any {
	if o.OK {
		r := map[string]any{"status": o.State}
		if o.MergeableState != "" {
			r["mergeable_state"] = o.MergeableState
		}
		return map[string]any{"ok": true, "result": r}
	}
	e := o.Err
	pe := map[string]any{"kind": e.Kind}
	if e.Provider != "" {
		pe["provider"] = e.Provider
	}
	switch e.Kind {
	case "no_token":
		pe["resolutionChain"] = e.Resolution
	case "unrecognized_url":
		pe["url"] = e.URL
	case "http_error":
		pe["status"], pe["statusText"], pe["transient"] = e.Status, http.StatusText(e.Status), e.transient()
	case "invalid_response":
		pe["reason"] = e.Reason
		if e.SampleKeys != nil {
			pe["sampleKeys"] = e.SampleKeys
		}
	case "host_mismatch":
		pe["expected"], pe["got"] = e.Expected, e.Got
	}
	return map[string]any{"ok": false, "error": pe}
}

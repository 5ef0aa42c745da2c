package differential

import (
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// townEffectTypes are the action types whose side effect is a Town method
// outside actions.ts (Town.do.ts's applyActionCtx, scheduling.ts): with
// the checkout's TownDO loaded (ExecSupport.TownMethods) the original runs
// production's own method and its rows are compared; without it only the
// effect's calls are.
var townEffectTypes = map[string]bool{reconciler.DispatchAgent: true, reconciler.StopAgent: true,
	reconciler.SendNudge: true, reconciler.ReportWastelandDone: true}

// effectRows reports whether the rows an effect of type typ changed are
// compared with h's checkout: poll_pr and merge_pr always (their writes
// are in actions.ts), the Town-method types when the Town loaded.
func effectRows(h *Host, typ string) bool {
	return effectDBTypes[typ] || (townEffectTypes[typ] && h.Exec.TownMethods)
}

// AnalyticsPoint is one Analytics Engine data point as written: blob1…15
// and double1…11 (production's writeEvent layout).
type AnalyticsPoint struct {
	Blobs   []string  `json:"blobs"`
	Doubles []float64 `json:"doubles"`
}

func pointOf(e model.AnalyticsEvent) AnalyticsPoint {
	b, d := e.Blobs(), e.Doubles()
	return AnalyticsPoint{Blobs: b[:], Doubles: d[:]}
}

// replacedPoints are the data points production writes inside the module
// the host replaces (container-dispatch.ts's startAgentInContainer writes
// the start fetch's): the original cannot write them, so the port's are
// left out of the comparison.
var replacedPoints = map[string]bool{"container.agent_start_fetch": true}

// analyticsTap collects the data points a Town emits while tapped.
type analyticsTap struct{ points []AnalyticsPoint }

func (a *analyticsTap) add(e model.AnalyticsEvent) {
	if !replacedPoints[e.Event] {
		a.points = append(a.points, pointOf(e))
	}
}

// tap starts collecting t's data points; the returned func stops and
// returns them (never nil).
func tapAnalytics(t *model.Town) func() []AnalyticsPoint {
	a := &analyticsTap{points: []AnalyticsPoint{}}
	untap := t.TapAnalytics(a.add)
	return func() []AnalyticsPoint { untap(); return a.points }
}

// worldAnswers are the answers of the checkout's calls below its Town
// methods that leave the Town, from what the port's world answered the
// same effect (in order, by kind): the container's start, stop and
// message calls (container-dispatch.ts, replaced in the bundle) and the
// wasteland service. A start is read as the port's startAgentInContainer
// reads it (model.StartAnswer); its fetch time is the simulated time the
// call took.
func worldAnswers(world []WorldCall) []Answer {
	var out []Answer
	for _, w := range world {
		r, at := w.Result, w.At.UnixMilli()
		switch w.Call.Kind {
		case model.CallStartAgent:
			started, msg := model.StartAnswer(r)
			ms := 0.0
			if r.Err == "" {
				ms = float64(w.At.Sub(w.Before).Milliseconds())
			}
			out = append(out, Answer{Kind: "startAgentInContainer", NowMs: at,
				Answer: map[string]any{"started": started, "containerFetchMs": ms}, StartError: msg})
		case model.CallStopAgent:
			out = append(out, Answer{Kind: "stopAgentInContainer", NowMs: at})
		case model.CallSendMessage:
			out = append(out, Answer{Kind: "sendMessageToAgent", NowMs: at, Answer: r.Err == "" && r.OK})
		case model.CallWastelandBrowse:
			a := Answer{Kind: "browseWantedBoard", NowMs: at, Throw: r.Err}
			if r.Err == "" {
				status := "claimed"
				if r.ItemDone {
					status = "done"
				}
				a.Answer = map[string]any{"success": true, "data": []any{map[string]any{"id": w.Call.ItemID, "status": status}}}
			}
			out = append(out, a)
		case model.CallWastelandDone:
			a := Answer{Kind: "markWantedItemDone", NowMs: at, Throw: r.Err}
			if r.Err == "" {
				a.Answer = map[string]any{"success": r.OK}
			}
			out = append(out, a)
		}
	}
	return out
}

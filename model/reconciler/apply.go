package reconciler

import (
	"database/sql"
	"fmt"
	"strconv"

	"github.com/townsim/townsim/model"
)

// Effect is the deferred part of an applied action (reconciler.md §3.0):
// production's async closure, which Phase 2 of the tick starts after every
// action's synchronous part has run. Run performs it against env (the
// clock may advance across its calls); a non-nil error is the closure's
// rejection, counted as a failed side effect (§3.8).
type Effect struct {
	// Action is the action the effect belongs to.
	Action Action
	// Run performs the deferred part; its error is the rejection.
	Run func(env model.Env) error
}

// Apply is production's applyAction (§3.1): it performs a's synchronous
// writes at env.Now() and returns its deferred effect, or nil when the
// action has none. A non-nil error means the synchronous part threw: the
// tick logs it and moves on, and the writes made before the throw stay
// (no transactions). Actions whose errors production catches internally
// return a nil error; those errors are logged nowhere.
func Apply(t *model.Town, env model.Env, a Action) (*Effect, error) {
	now := env.Now()
	switch a.Type {
	case TransitionBead:
		return nil, applyTransitionBead(t, now, a)
	case AssignBead:
		return nil, applyAssignBead(t, now, a)
	case ClearBeadAssignee:
		return nil, applyClearBeadAssignee(t, now, a)
	case CreateMRBead:
		return nil, applyCreateMRBead(t, now, a)
	case CreateLandingMR:
		return nil, applyCreateLandingMR(t, now, a)
	case CloseSiblingMRs:
		return nil, applyCloseSiblingMRs(t, now, a)
	case SetReviewPRURL:
		return nil, applySetReviewPRURL(t, now, a)
	case TransitionAgent:
		return nil, applyTransitionAgent(t, now, a)
	case ResetAgentDispatchAttempts:
		return nil, applyResetAgentDispatchAttempts(t, now, a)
	case HookAgent:
		return nil, applyHookAgent(t, now, a)
	case UnhookAgent:
		return nil, applyUnhookAgent(t, now, a)
	case ClearAgentCheckpoint:
		return nil, applyClearAgentCheckpoint(t, a)
	case DeleteAgent:
		return nil, applyDeleteAgent(t, now, a)
	case UpdateConvoyProgress:
		return nil, applyUpdateConvoyProgress(t, a)
	case SetConvoyReadyToLand:
		return nil, applySetConvoyReadyToLand(t, now, a)
	case CloseConvoy:
		return nil, applyCloseConvoy(t, now, a)
	case FailConvoy:
		return nil, applyFailConvoy(t, now, a)
	case DispatchAgent:
		return applyDispatchAgent(t, now, a)
	case StopAgent:
		return applyStopAgent(a), nil
	case PollPR:
		return applyPollPR(t, now, a)
	case MergePR:
		return applyMergePR(t, now, a)
	case SendNudge:
		return applySendNudge(t, now, a)
	case CreateTriageRequest:
		return nil, applyCreateTriageRequest(t, now, a)
	case NotifyMayor:
		// Production only writes a log line (hazard 5).
		return nil, nil
	case EmitEvent:
		applyEmitEvent(t, a)
		return nil, nil
	case ReportWastelandDone:
		return applyReportWastelandDone(t, a), nil
	}
	// Production's union is validated, so its default branch (a warning,
	// no effect) is unreachable there; here it flags a rule bug.
	return nil, fmt.Errorf("apply: unknown action type %q", a.Type)
}

// applyEmitEvent is emit_event: an analytics event {event: name, townId,
// ...data} through the Town's emitter. Data keys without an analytics slot
// are dropped; a value that is not a number in a double slot makes the
// write throw, which the analytics writer swallows (nothing is written).
func applyEmitEvent(t *model.Town, a Action) {
	e := model.AnalyticsEvent{Event: a.EventName, TownID: t.ID()}
	for _, kv := range a.EventData {
		if !setAnalyticsField(&e, kv[0], kv[1]) {
			return
		}
	}
	t.Emit(e)
}

// setAnalyticsField stores v into the slot named k. It reports false when
// the slot is numeric and v is not a number.
func setAnalyticsField(e *model.AnalyticsEvent, k, v string) bool {
	str := map[string]*string{
		"event": &e.Event, "userId": &e.UserID, "delivery": &e.Delivery, "route": &e.Route,
		"error": &e.Error, "townId": &e.TownID, "rigId": &e.RigID, "agentId": &e.AgentID,
		"beadId": &e.BeadID, "label": &e.Label, "convoyId": &e.ConvoyID, "role": &e.Role,
		"beadType": &e.BeadType, "reason": &e.Reason, "containerStartedAt": &e.ContainerStartedAt,
	}
	if p, ok := str[k]; ok {
		*p = v
		return true
	}
	num := map[string]*float64{
		"durationMs": &e.DurationMs, "value": &e.Value, "double3": &e.Double3,
		"double4": &e.Double4, "double5": &e.Double5, "double6": &e.Double6,
		"double7": &e.Double7, "double8": &e.Double8, "double9": &e.Double9,
		"double10": &e.Double10, "statusCode": &e.StatusCode,
	}
	if p, ok := num[k]; ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		*p = f
	}
	return true
}

// queryOptional is db.QueryRow for a row that may be missing: no row is
// not an error and leaves dest as it was (production reads undefined).
func queryOptional(db *model.DB, q string, args []any, dest ...any) error {
	if err := db.QueryRow(q, args, dest...); err != sql.ErrNoRows {
		return err
	}
	return nil
}

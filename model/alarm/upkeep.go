package alarm

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
)

// httpOK reports a 2xx answer (Response.ok). As everywhere in model, a
// StatusCode left zero is not a 2xx.
func httpOK(code int) bool { return code >= 200 && code < 300 }

// truncate cuts s to n bytes, as production's slice(0, n) on error text.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ms is the difference b − a in whole milliseconds, as Date.now() differences are.
func ms(a, b time.Time) float64 { return float64(b.UnixMilli() - a.UnixMilli()) }

// throttled reports that a KV timestamp is younger than d at now. A zero
// (absent) timestamp reads as 0, as production's `?? 0`, so it never is.
func throttled(last, now time.Time, d time.Duration) bool {
	return !last.IsZero() && ms(last, now) < float64(d.Milliseconds())
}

// firstMayor is production's listAgents({role: 'mayor'})[0]: the oldest
// mayor by its bead's created_at, or nil.
func firstMayor(t *model.Town) (*model.Agent, error) {
	as, err := t.QueryAgents(`SELECT `+model.AgentColumns+model.AgentFrom+`
		WHERE (? IS NULL OR a.role = ?) AND (? IS NULL OR a.status = ?) AND (? IS NULL OR b.rig_id = ?)
		ORDER BY b.created_at ASC, b.rowid ASC`,
		model.RoleMayor, model.RoleMayor, nil, nil, nil, nil)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return as[0], nil
}

// alive reports a working or stalled agent (T3b, T16).
func alive(a *model.Agent) bool {
	return a != nil && (a.Status == model.AgentWorking || a.Status == model.AgentStalled)
}

// ensureContainerReady is T3a: warm the container up and ping its health
// endpoint, writing the container analytics events through the raw writer.
// Only a failure outside the two guarded calls is returned.
//
// The health call carries the drain nonce in Call.DrainNonce (production's
// X-Drain-Nonce header, sent with X-Town-Id) when the town is draining, has
// a nonce, and the drain started more than 11 min ago; otherwise it is
// empty.
func ensureContainerReady(t *model.Town, env model.Env, rigs []*model.Rig, rec recorder) error {
	active, err := t.HasActiveWork(env.Now())
	if err != nil {
		return err
	}
	kv := t.KV()
	if !active && !kv.Draining {
		// min over rigs of now − created_at; an unparsable created_at makes
		// the minimum NaN in production, which is never "recent".
		now := env.Now()
		newest := math.Inf(1)
		for _, r := range rigs {
			c, ok := model.ParseTime(r.CreatedAt)
			if !ok {
				newest = math.NaN()
				break
			}
			newest = math.Min(newest, ms(c, now))
		}
		if !(newest < float64(RecentRigWindow.Milliseconds())) {
			return nil
		}
	}
	townID := kv.TownID
	if townID == "" {
		return nil
	}

	warm := env.Call(model.Call{Kind: model.CallWarmUp})
	switch {
	case warm.Err != "":
		rec.emitRaw(model.AnalyticsEvent{Event: "container.cold_start", TownID: townID, Error: truncate(warm.Err, 300)})
	case warm.ColdStart:
		rec.emitRaw(model.AnalyticsEvent{Event: "container.cold_start", TownID: townID,
			DurationMs: float64(warm.Duration.Milliseconds())})
	}

	health := model.Call{Kind: model.CallHealth}
	if kv.Draining && kv.DrainNonce != "" && !kv.DrainStartedAt.IsZero() &&
		ms(kv.DrainStartedAt, env.Now()) > float64(DrainHandoffDelay.Milliseconds()) {
		health.DrainNonce = kv.DrainNonce
	}
	t0 := env.Now()
	r := env.Call(health)
	d := ms(t0, env.Now())
	if r.Err != "" {
		rec.emitRaw(model.AnalyticsEvent{Event: "container.health_ping", TownID: townID, DurationMs: d, Error: "timeout"})
		return nil
	}
	code := r.StatusCode
	if !httpOK(code) {
		rec.emitRaw(model.AnalyticsEvent{Event: "container.health_ping", TownID: townID, DurationMs: d,
			StatusCode: float64(code), Error: fmt.Sprintf("non-ok status %d", code)})
		return nil
	}
	rec.emitRaw(model.AnalyticsEvent{Event: "container.health_ping", TownID: townID, DurationMs: d, StatusCode: float64(code)})
	if r.StartedAt.IsZero() {
		return nil
	}
	startedAt := model.ISO(r.StartedAt)
	rec.emitRaw(model.AnalyticsEvent{Event: "container.ready_observed", TownID: townID,
		ContainerStartedAt: startedAt, DurationMs: ms(r.StartedAt, env.Now())})
	if !r.MayorReadyAt.IsZero() && kv.MayorReadyReportedFor != startedAt {
		kv.MayorReadyReportedFor = startedAt
		rec.emitRaw(model.AnalyticsEvent{Event: "mayor.session_ready", TownID: townID,
			ContainerStartedAt: startedAt, DurationMs: ms(r.StartedAt, r.MayorReadyAt)})
	}
	return nil
}

// refreshContainerToken is T3b: push a fresh container token at most once
// an hour, only while there is active work or a live mayor. The throttle
// key is written only after success; a "container down" network error
// counts as success. An Err that mentions a timeout is production's
// AbortSignal timeout, which is not tolerated.
func refreshContainerToken(t *model.Town, env model.Env) error {
	mayor, err := firstMayor(t)
	if err != nil {
		return err
	}
	active, err := t.HasActiveWork(env.Now())
	if err != nil {
		return err
	}
	if !active && !alive(mayor) {
		return nil
	}
	kv := t.KV()
	now := env.Now()
	if throttled(kv.LastTokenRefreshAt, now, TokenRefreshInterval) {
		return nil
	}
	if kv.TownID == "" {
		return nil
	}
	if _, err := t.ReadTownConfig(); err != nil {
		return err
	}
	r := env.Call(model.Call{Kind: model.CallRefreshToken})
	switch {
	case r.Err != "":
		if strings.Contains(strings.ToLower(r.Err), "timeout") {
			return fmt.Errorf("refresh-token: %s", r.Err)
		}
	case !httpOK(r.StatusCode):
		return fmt.Errorf("container returned %d", r.StatusCode)
	}
	kv.LastTokenRefreshAt = now
	return nil
}

// refreshKiloTokenIfExpiring is T3c, stubbed: it keeps production's 24 h
// in-memory throttle and its town-config read (which can fail), but the
// simulated config holds no Kilo token, so nothing is re-minted.
func refreshKiloTokenIfExpiring(t *model.Town, env model.Env) error {
	kv := t.KV()
	now := env.Now()
	if throttled(kv.LastKiloTokenCheck, now, KiloTokenCheckInterval) {
		return nil
	}
	kv.LastKiloTokenCheck = now
	_, err := t.ReadTownConfig()
	return err
}

// stopContainerIfIdle is T16: stop the container when the town is idle,
// not draining, the mayor is neither alive nor recently active, and the
// last idle stop is at least 2 min old. The analytics event goes through
// the raw writer.
func stopContainerIfIdle(t *model.Town, env model.Env, rec recorder) error {
	active, err := t.HasActiveWork(env.Now())
	if err != nil {
		return err
	}
	kv := t.KV()
	if active || kv.Draining {
		return nil
	}
	mayor, err := firstMayor(t)
	if err != nil {
		return err
	}
	if alive(mayor) {
		return nil
	}
	// lastActivity is NaN (ok=false) when last_activity_at does not parse:
	// the quiet-period test is then false and the reason reads "NaN".
	var lastActivity time.Time
	hasActivity, parsed := false, false
	if mayor != nil && mayor.LastActivityAt.Valid {
		hasActivity = true
		lastActivity, parsed = model.ParseTime(mayor.LastActivityAt.String)
		if parsed && ms(lastActivity, env.Now()) <= float64(IdleStopQuietPeriod.Milliseconds()) {
			return nil
		}
	}
	townID := kv.TownID
	if townID == "" {
		return nil
	}
	now := env.Now()
	if throttled(kv.LastIdleStopAt, now, IdleStopThrottle) {
		return nil
	}
	st := env.Call(model.Call{Kind: model.CallContainerState})
	if st.Err != "" {
		rec.log("T16 getState() failed: %s", st.Err)
		return nil
	}
	if st.State != "running" && st.State != "healthy" {
		return nil
	}
	reason := "no_active_work"
	if mayor != nil {
		minutes := "0"
		if hasActivity {
			if parsed {
				minutes = fmt.Sprint(int64(math.Floor(ms(lastActivity, env.Now())/60000 + 0.5)))
			} else {
				minutes = "NaN"
			}
		}
		reason = "mayor_idle_" + minutes + "m"
	}
	stop := env.Call(model.Call{Kind: model.CallContainerStop})
	if stop.Err != "" {
		rec.log("T16 stop() failed: %s", stop.Err)
		rec.emitRaw(model.AnalyticsEvent{Event: "container.idle_stop", TownID: townID, Reason: reason, Error: truncate(stop.Err, 300)})
		return nil
	}
	kv.LastIdleStopAt = now
	rec.emitRaw(model.AnalyticsEvent{Event: "container.idle_stop", TownID: townID, Reason: reason})
	return nil
}

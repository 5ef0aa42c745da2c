package model

import (
	"cmp"
	"time"
)

// firstMayor returns the mayor with the oldest bead created_at, or nil.
func (t *Town) firstMayor() (*Agent, error) {
	as, err := t.QueryAgents(`SELECT ` + AgentColumns + AgentFrom +
		`WHERE a.role = 'mayor' ORDER BY b.created_at ASC, b.rowid ASC`)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return as[0], nil
}

// mayorOrRegister returns the first mayor, registering one (name and role
// mayor, identity mayor-<first 8 of town id>, no rig) when there is none.
func (t *Town) mayorOrRegister(now time.Time) (*Agent, error) {
	m, err := t.firstMayor()
	if err != nil || m != nil {
		return m, err
	}
	return t.RegisterAgent(now, RoleMayor, "mayor", "mayor-"+truncate(t.kv.TownID, 8), "")
}

// mayorStart starts the mayor in the container (rig "mayor-<town id>", no
// bead, prompt = message) and marks it working when started.
func (t *Town) mayorStart(env Env, mayor *Agent, message string) (bool, error) {
	rc, err := t.mayorRigConfig()
	if err != nil {
		return false, err
	}
	cfg, err := t.townConfig()
	if err != nil {
		return false, err
	}
	c := startCall("mayor", "", "", rc)
	if c.DefaultBranch == "" {
		c.DefaultBranch = "main"
	}
	c.UserID = cmp.Or(cfg.OwnerUserID, rc.UserID, t.kv.TownID)
	c.AgentID, c.RigID, c.Role, c.Message = mayor.ID, "mayor-"+t.kv.TownID, RoleMayor, message
	out := t.startAgentInContainer(env, c)
	if !out.started {
		return false, nil
	}
	return true, t.UpdateAgentStatus(env.Now(), mayor.ID, AgentWorking)
}

// mayorRigConfig is getMayorRigConfig: the runtime config of the first
// rig (created_at order), zero when there is no rig or it has none. The
// mayor's start payload takes its repository settings (no platform
// integration) from it.
func (t *Town) mayorRigConfig() (RigRuntimeConfig, error) {
	rigs, err := t.ListRigs()
	if err != nil || len(rigs) == 0 {
		return RigRuntimeConfig{}, err
	}
	rc := t.kv.RigConfigs[rigs[0].ID]
	rc.PlatformIntegrationID = ""
	return rc, nil
}

// EnsureMayor gets or creates the mayor and makes sure its session runs:
// when the container reports it running or starting nothing changes;
// otherwise (town config readable) it needs a kilocode token
// (resolveKilocodeToken): without one the start is deferred — no
// fresh_dispatch event, no container call, the mayor keeps its status —
// and with one it is started and marked working. The
// container's SDK port/session details are not modelled: a running or
// starting mayor counts as a live session. It does not arm the alarm.
func (t *Town) EnsureMayor(env Env) (*Agent, error) {
	mayor, err := t.mayorOrRegister(env.Now())
	if err != nil {
		return nil, err
	}
	st, _ := ContainerAgentStatus(env.Call(Call{Kind: CallAgentStatus, AgentID: mayor.ID, Role: RoleMayor}))
	decision := AnalyticsEvent{Event: "mayor.ensure_decision", AgentID: mayor.ID, Role: RoleMayor}
	if st == "running" || st == "starting" {
		decision.Label = "short_circuit_idle"
		if s := mayor.Status; s == AgentWorking || s == AgentStalled || s == AgentWaiting {
			decision.Label = "short_circuit_warm"
		}
		t.emitRaw(decision)
		return t.GetAgent(mayor.ID)
	}
	if _, err := t.townConfig(); err != nil {
		return mayor, err
	}
	tok, err := t.resolveKilocodeToken()
	if err != nil {
		return mayor, err
	}
	if tok == "" {
		// No LLM credentials anywhere: production leaves the mayor as it
		// is (reported idle) and waits for a rig to bring a token.
		return t.GetAgent(mayor.ID)
	}
	decision.Label = "fresh_dispatch"
	t.emitRaw(decision)
	if _, err := t.mayorStart(env, mayor, "Mayor ready. Waiting for instructions."); err != nil {
		return mayor, err
	}
	return t.GetAgent(mayor.ID)
}

// MayorWaiting is the container's "mayor session idle" callback: a
// working mayor becomes waiting (agentID "" = the first mayor). Stale
// callbacks from an earlier turn are not modelled. It does not arm.
func (t *Town) MayorWaiting(now time.Time, agentID string) error {
	id := agentID
	if id == "" {
		m, err := t.firstMayor()
		if err != nil || m == nil {
			return err
		}
		id = m.ID
	}
	a, err := t.GetAgent(id)
	if err != nil || a == nil || a.Role != RoleMayor {
		return err
	}
	if a.Status == AgentWorking {
		return t.UpdateAgentStatus(now, id, AgentWaiting)
	}
	return nil
}

// SendMayorMessage is the user's (and re-escalation's) message to the
// mayor: get or register the mayor; if its container reports it running
// or starting, push the container token (best effort: skipped when the
// town config cannot be read, its failure ignored), push the message and,
// when accepted and the mayor was waiting, make it working and set the
// alarm to now+5 s directly; otherwise start the mayor with the message
// (working when started). Finally armAlarmIfNeeded.
func (t *Town) SendMayorMessage(env Env, message string) error {
	mayor, err := t.mayorOrRegister(env.Now())
	if err != nil {
		return err
	}
	st, _ := ContainerAgentStatus(env.Call(Call{Kind: CallAgentStatus, AgentID: mayor.ID, Role: RoleMayor}))
	if st == "running" || st == "starting" {
		// Best-effort token push before the send: a config that cannot be
		// read skips it, and every failure of the call is ignored.
		if _, err := t.townConfig(); err == nil {
			env.Call(Call{Kind: CallRefreshToken})
		}
		res := env.Call(Call{Kind: CallSendMessage, AgentID: mayor.ID, Role: RoleMayor, Message: message})
		if res.Err == "" && res.OK && mayor.Status == AgentWaiting {
			now := env.Now()
			if err := t.UpdateAgentStatus(now, mayor.ID, AgentWorking); err != nil {
				return err
			}
			t.SetAlarm(now.Add(t.knobs.ActiveInterval))
		}
	} else {
		if _, err := t.townConfig(); err != nil {
			return err
		}
		if _, err := t.mayorStart(env, mayor, message); err != nil {
			return err
		}
	}
	t.armAlarmIfNeeded(env.Now())
	return nil
}

// resolveKilocodeToken is the LLM gateway token the mayor starts with:
// the town config's kilocode_token, else the first rig (created_at
// order) whose runtime config carries one — that token is then written
// into the town config so the next look-up finds it there. "" when no
// config has one.
func (t *Town) resolveKilocodeToken() (string, error) {
	cfg, err := t.townConfig()
	if err != nil {
		return "", err
	}
	if cfg.KilocodeToken != "" {
		return cfg.KilocodeToken, nil
	}
	rigs, err := t.ListRigs()
	if err != nil {
		return "", err
	}
	for _, r := range rigs {
		rc, ok := t.kv.RigConfigs[r.ID]
		if !ok || rc.KilocodeToken == "" {
			continue
		}
		tok := rc.KilocodeToken
		if _, err := t.UpdateTownConfig(TownConfigUpdate{KilocodeToken: &tok}); err != nil {
			return "", err
		}
		return tok, nil
	}
	return "", nil
}

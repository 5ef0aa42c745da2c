package sim

import "time"

// triageCrash draws, with ContainersConfig.TriageCrash, whether p — a
// triage agent's process — crashes 1–3 min into its run, and schedules the
// crash. The draws come from the "containers/triage-crash" stream, made
// only when the knob is on, so other runs keep their traces.
func (k *containers) triageCrash(p *process) bool {
	if k.cfg.TriageCrash <= 0 || !k.w.isTriageBatch(p.beadID) {
		return false
	}
	r := k.w.src.Stream("containers/triage-crash")
	if !r.Bool(k.cfg.TriageCrash) {
		return false
	}
	k.w.eng.After(r.Uniform(time.Minute, 3*time.Minute), func() { k.fault(p, faultCrashed) })
	return true
}

// stuckTool draws, with ContainersConfig.StuckInTool, whether a session
// that just got stuck is frozen inside a tool call, and names the tool
// ("" = stuck between steps). The draws come from the
// "containers/stuck-in-tool" stream, made only when the knob is on.
func (k *containers) stuckTool() string {
	if k.cfg.StuckInTool <= 0 || !k.w.src.Stream("containers/stuck-in-tool").Bool(k.cfg.StuckInTool) {
		return ""
	}
	return "bash"
}

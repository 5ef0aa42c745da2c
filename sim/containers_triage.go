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

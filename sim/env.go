package sim

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// Env is the model.Env a Town runs in under the engine: the kernel's
// coroutine environment (des.Env) for the Town's external calls, answered
// by the world and measured in database work. Every piece of Town code that
// awaits — the alarm tick, each task of All, each Go task, each
// world-initiated RPC that takes an Env — runs as a coroutine; a call
// completes after a latency drawn from its kind's own random stream.
type Env = des.Env[model.Call, model.Result, model.Cost]

// Meter accumulates what a tick or an RPC cost: real time and database
// work (see des.Meter).
type Meter = des.Meter[model.Cost]

// Responder answers the Town's external calls (see des.Responder).
type Responder = des.Responder[model.Call, model.Result]

// ResponderFunc adapts a function to Responder.
type ResponderFunc = des.ResponderFunc[model.Call, model.Result]

// EnvStats counts the Env's work (see des.EnvStats).
type EnvStats = des.EnvStats

// NewEnv returns an Env on eng whose latencies come from lat, each call
// kind's drawn from its own stream of src named "latency/<call kind>", and
// whose answers come from resp.
func NewEnv(eng *des.Engine, src *des.Source, lat LatencyConfig, resp Responder) *Env {
	streams := map[model.CallKind]*des.Rand{} // looked up, never iterated
	latency := func(c model.Call) time.Duration {
		d := lat.For(c.Kind)
		if d.Kind == "" {
			return 0
		}
		r, ok := streams[c.Kind]
		if !ok {
			r = src.Stream("latency/" + string(c.Kind))
			streams[c.Kind] = r
		}
		return d.Sample(r)
	}
	return des.NewEnv[model.Call, model.Result, model.Cost](eng, latency, resp)
}

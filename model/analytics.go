package model

// AnalyticsEvent is one Analytics Engine data point as production writes
// it (reconciler.md §5.2): the named fields are the blob and double slots.
type AnalyticsEvent struct {
	Event              string  // blob1 and index1
	UserID             string  // blob2
	Delivery           string  // blob3
	Route              string  // blob4
	Error              string  // blob5
	TownID             string  // blob6
	RigID              string  // blob7
	AgentID            string  // blob8
	BeadID             string  // blob9
	Label              string  // blob10
	ConvoyID           string  // blob11
	Role               string  // blob12
	BeadType           string  // blob13
	Reason             string  // blob14
	ContainerStartedAt string  // blob15
	DurationMs         float64 // double1
	Value              float64 // double2
	Double3            float64 // double3
	Double4            float64 // double4
	Double5            float64 // double5
	Double6            float64 // double6
	Double7            float64 // double7
	Double8            float64 // double8
	Double9            float64 // double9
	Double10           float64 // double10
	StatusCode         float64 // double11
}

// Blobs returns blob1…blob15 in slot order.
func (e AnalyticsEvent) Blobs() [15]string {
	return [15]string{e.Event, e.UserID, e.Delivery, e.Route, e.Error, e.TownID, e.RigID,
		e.AgentID, e.BeadID, e.Label, e.ConvoyID, e.Role, e.BeadType, e.Reason, e.ContainerStartedAt}
}

// Doubles returns double1…double11 in slot order.
func (e AnalyticsEvent) Doubles() [11]float64 {
	return [11]float64{e.DurationMs, e.Value, e.Double3, e.Double4, e.Double5, e.Double6,
		e.Double7, e.Double8, e.Double9, e.Double10, e.StatusCode}
}

// ErrorReport is what production sends to Sentry: an exception capture or
// a message.
type ErrorReport struct {
	// Level is "error" or "warning".
	Level string
	// Message is the exception or message text.
	Message string
	// Tags and Extra are the report's key/value annotations, as sorted pairs.
	Tags  [][2]string
	Extra [][2]string
}

// emit sends an event through the Town's own emitter, which adds the
// delivery and the owner's user id (reconciler.md §5.2), and returns it
// as written.
func (t *Town) emit(e AnalyticsEvent) AnalyticsEvent {
	e.Delivery = "internal"
	e.UserID = t.ownerUserID
	return t.emitRaw(e)
}

// emitRaw sends an event through the raw writer (no delivery, no user;
// the town id filled in when empty) and returns it as written.
func (t *Town) emitRaw(e AnalyticsEvent) AnalyticsEvent {
	if e.TownID == "" {
		e.TownID = t.kv.TownID
	}
	if t.opts.Analytics != nil {
		t.opts.Analytics(e)
	}
	return e
}

// report sends an error report.
func (t *Town) report(r ErrorReport) {
	if t.opts.Errors != nil {
		t.opts.Errors(r)
	}
}

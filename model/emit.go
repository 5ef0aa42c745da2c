package model

// Emit sends an analytics event through the Town's own emitter, which adds
// delivery "internal" and the town owner's user id and fills the town id
// when the event has none (reconciler.md §5.2), and returns the event as
// written. Code outside package model (the reconciler's emit_event and
// poll_pr analytics, the tick) uses it.
func (t *Town) Emit(e AnalyticsEvent) AnalyticsEvent { return t.emit(e) }

// EmitRaw sends an analytics event through the raw writer: no delivery and
// no user id (container upkeep, idle stop, start fetch; reconciler.md
// §5.2). It returns the event as written (the town id filled in).
func (t *Town) EmitRaw(e AnalyticsEvent) AnalyticsEvent { return t.emitRaw(e) }

// Report sends a Sentry-style error report to Options.Errors.
func (t *Town) Report(r ErrorReport) { t.report(r) }

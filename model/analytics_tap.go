package model

// TapAnalytics makes t send every analytics data point to f too, after
// the sink of Options.Analytics, until untap is called. Differential
// mode taps the analytics of an action's steps to compare them with the
// original's; a tap only reads, so the run is the same with or without.
func (t *Town) TapAnalytics(f func(AnalyticsEvent)) (untap func()) {
	prev := t.opts.Analytics
	t.opts.Analytics = func(e AnalyticsEvent) {
		if prev != nil {
			prev(e)
		}
		f(e)
	}
	return func() { t.opts.Analytics = prev }
}

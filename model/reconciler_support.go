package model

// ReadTownConfig is production's getTownConfig for code outside package
// model: it returns a copy of the stored town config, or the error a
// stored config that fails validation makes every read throw
// (KV.ConfigErr; reconciler.md §8.16). The reconciler's deferred effects
// (poll_pr, merge_pr, report_wasteland_done) read the config through it.
func (t *Town) ReadTownConfig() (*TownConfig, error) { return t.townConfig() }

package model

// schema is production's DDL at the baseline (model.md §2), in physical
// column order. CHECK constraints are left out: production strips them at
// every start-up (model.md §1.7). Foreign keys are declared and enforced.
//
// One deliberate difference: production defaults agent_nudges.created_at
// to SQLite's datetime('now'). townsim never reads SQLite's clock, so that
// column has no default and every insert writes it from the virtual clock
// in the same space-separated format.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS beads (
		bead_id TEXT PRIMARY KEY,
		type TEXT NOT NULL,
		status TEXT NOT NULL DEFAULT 'open',
		title TEXT NOT NULL,
		body TEXT,
		rig_id TEXT,
		parent_bead_id TEXT REFERENCES beads(bead_id),
		assignee_agent_bead_id TEXT,
		priority TEXT DEFAULT 'medium',
		labels TEXT DEFAULT '[]',
		metadata TEXT DEFAULT '{}',
		dispatch_attempts INTEGER NOT NULL DEFAULT 0,
		last_dispatch_attempt_at TEXT,
		created_by TEXT,
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL,
		closed_at TEXT
	)`,
	`CREATE INDEX IF NOT EXISTS idx_beads_type_status ON beads(type, status)`,
	`CREATE INDEX IF NOT EXISTS idx_beads_parent ON beads(parent_bead_id)`,
	`CREATE INDEX IF NOT EXISTS idx_beads_rig_status ON beads(rig_id, status)`,
	`CREATE INDEX IF NOT EXISTS idx_beads_assignee ON beads(assignee_agent_bead_id, type, status)`,
	`CREATE TABLE IF NOT EXISTS agent_metadata (
		bead_id TEXT PRIMARY KEY REFERENCES beads(bead_id),
		role TEXT NOT NULL,
		identity TEXT NOT NULL UNIQUE,
		container_process_id TEXT,
		status TEXT NOT NULL DEFAULT 'idle',
		current_hook_bead_id TEXT REFERENCES beads(bead_id),
		dispatch_attempts INTEGER NOT NULL DEFAULT 0,
		checkpoint TEXT,
		last_activity_at TEXT,
		agent_status_message TEXT,
		agent_status_updated_at TEXT,
		last_event_type TEXT,
		last_event_at TEXT,
		active_tools TEXT DEFAULT '[]',
		stalled_at TEXT
	)`,
	`CREATE TABLE IF NOT EXISTS review_metadata (
		bead_id TEXT PRIMARY KEY REFERENCES beads(bead_id),
		branch TEXT NOT NULL,
		target_branch TEXT NOT NULL DEFAULT 'main',
		merge_commit TEXT,
		pr_url TEXT,
		retry_count INTEGER DEFAULT 0,
		auto_merge_ready_since TEXT,
		last_feedback_check_at TEXT
	)`,
	`CREATE TABLE IF NOT EXISTS convoy_metadata (
		bead_id TEXT PRIMARY KEY REFERENCES beads(bead_id),
		total_beads INTEGER NOT NULL DEFAULT 0,
		closed_beads INTEGER NOT NULL DEFAULT 0,
		landed_at TEXT,
		feature_branch TEXT,
		merge_mode TEXT,
		staged INTEGER NOT NULL DEFAULT 0
	)`,
	`CREATE TABLE IF NOT EXISTS escalation_metadata (
		bead_id TEXT PRIMARY KEY REFERENCES beads(bead_id),
		severity TEXT NOT NULL,
		category TEXT,
		acknowledged INTEGER NOT NULL DEFAULT 0,
		re_escalation_count INTEGER NOT NULL DEFAULT 0,
		acknowledged_at TEXT
	)`,
	`CREATE TABLE IF NOT EXISTS bead_dependencies (
		bead_id TEXT NOT NULL REFERENCES beads(bead_id),
		depends_on_bead_id TEXT NOT NULL REFERENCES beads(bead_id),
		dependency_type TEXT NOT NULL DEFAULT 'blocks'
	)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS idx_bead_deps_pk ON bead_dependencies(bead_id, depends_on_bead_id)`,
	`CREATE INDEX IF NOT EXISTS idx_bead_deps_depends_on ON bead_dependencies(depends_on_bead_id)`,
	`CREATE TABLE IF NOT EXISTS agent_nudges (
		nudge_id TEXT PRIMARY KEY,
		agent_bead_id TEXT NOT NULL,
		message TEXT NOT NULL,
		mode TEXT NOT NULL DEFAULT 'wait-idle',
		priority TEXT NOT NULL DEFAULT 'normal',
		source TEXT NOT NULL DEFAULT 'system',
		created_at TEXT NOT NULL,
		delivered_at TEXT,
		expires_at TEXT
	)`,
	`CREATE INDEX IF NOT EXISTS idx_agent_nudges_pending ON agent_nudges(agent_bead_id) WHERE delivered_at IS NULL`,
	`CREATE TABLE IF NOT EXISTS town_events (
		event_id TEXT PRIMARY KEY,
		event_type TEXT NOT NULL,
		agent_id TEXT,
		bead_id TEXT,
		payload TEXT NOT NULL DEFAULT '{}',
		created_at TEXT NOT NULL,
		processed_at TEXT
	)`,
	`CREATE INDEX IF NOT EXISTS idx_town_events_pending ON town_events(created_at) WHERE processed_at IS NULL`,
	`CREATE INDEX IF NOT EXISTS idx_town_events_type ON town_events(event_type)`,
	`CREATE TABLE IF NOT EXISTS bead_events (
		bead_event_id TEXT PRIMARY KEY,
		bead_id TEXT NOT NULL,
		agent_id TEXT,
		event_type TEXT NOT NULL,
		old_value TEXT,
		new_value TEXT,
		metadata TEXT DEFAULT '{}',
		created_at TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS idx_bead_events_bead ON bead_events(bead_id)`,
	`CREATE INDEX IF NOT EXISTS idx_bead_events_created ON bead_events(created_at)`,
	`CREATE INDEX IF NOT EXISTS idx_bead_events_type ON bead_events(event_type)`,
	`CREATE TABLE IF NOT EXISTS rigs (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		git_url TEXT NOT NULL DEFAULT '',
		default_branch TEXT NOT NULL DEFAULT 'main',
		config TEXT DEFAULT '{}',
		created_at TEXT NOT NULL
	)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS idx_rigs_name ON rigs(name)`,
}

// Tables lists the Town's tables in a fixed order (dumps, dry-run checks).
var Tables = []string{
	"beads", "agent_metadata", "review_metadata", "convoy_metadata",
	"escalation_metadata", "bead_dependencies", "agent_nudges",
	"town_events", "bead_events", "rigs",
}

func (d *DB) migrate() error {
	for _, q := range schema {
		if err := d.ExecRaw(q); err != nil {
			return err
		}
	}
	return nil
}

package model

import (
	"database/sql"
	"fmt"
	"strings"
)

// Dump returns every row of every table as text, tables in Tables order and
// rows in rowid order: two equal dumps mean two equal databases.
func (t *Town) Dump() (string, error) {
	var sb strings.Builder
	for _, table := range Tables {
		if err := t.dumpTable(&sb, table); err != nil {
			return "", err
		}
	}
	return sb.String(), nil
}

func (t *Town) dumpTable(sb *strings.Builder, table string) error {
	rows, err := t.db.Query(`SELECT * FROM ` + table + ` ORDER BY rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	fmt.Fprintf(sb, "== %s (%s)\n", table, strings.Join(cols, ", "))
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if i > 0 {
				sb.WriteString(" | ")
			}
			if v.Valid {
				sb.WriteString(v.String)
			} else {
				sb.WriteString("NULL")
			}
		}
		sb.WriteByte('\n')
	}
	return rows.Err()
}

package model

import "database/sql"

// nullable is the SQL argument of a nullable text column: nil (NULL) for
// a NullString that is not Valid, else its string.
func nullable(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.String
}

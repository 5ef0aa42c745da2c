package reports

import (
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// TableWidth is the width townsim's tables keep within: long cells wrap
// at word boundaries instead of widening the table.
const TableWidth = 120

// NewTable is a tablewriter table that wraps long cells to keep within
// TableWidth columns; opts add to (or override) that.
func NewTable(w io.Writer, opts ...tablewriter.Option) *tablewriter.Table {
	base := []tablewriter.Option{
		tablewriter.WithMaxWidth(TableWidth),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithHeaderAutoWrap(tw.WrapNormal),
	}
	return tablewriter.NewTable(w, append(base, opts...)...)
}

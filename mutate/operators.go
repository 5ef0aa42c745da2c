package mutate

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"
)

// The operators. Each makes mutants of one kind.
const (
	// OpNegate negates an if or for condition (`c` → `!(c)`) and drops a
	// `!` (`!x` → `x`). Error checks (`err != nil`) are left alone.
	OpNegate = "negate"
	// OpConjunct drops one operand of `&&` or `||` (two mutants each).
	OpConjunct = "conjunct"
	// OpBoundary moves a comparison boundary: `<` ↔ `<=`, `>` ↔ `>=`.
	OpBoundary = "boundary"
	// OpConstant changes an integer literal by one step (n+1; n-1 when
	// n > 0): counts, limits and durations written as `5 * time.Minute`.
	OpConstant = "constant"
	// OpSQLWhere makes one conjunct of an SQL `WHERE a AND b` in a string
	// literal always true (`(b OR 1)`), which drops it while keeping its
	// placeholders and their order.
	OpSQLWhere = "sql-where"
	// OpDropAction drops an emitted action: `out = append(out, Action{…})`
	// (or an append to a slice named like actions) becomes
	// `_ = append(out, …)`.
	OpDropAction = "drop-action"
	// OpDropEffect drops a side effect: an expression-statement call, or a
	// call whose results are ignored or only its error kept (a db Exec, a
	// status update), replaced by a no-op that still uses its arguments.
	OpDropEffect = "drop-effect"
	// OpSwapBranches swaps the two blocks of an if/else.
	OpSwapBranches = "swap-branches"
)

// Operators lists every operator, in the order reports show them.
func Operators() []string {
	return []string{OpNegate, OpConjunct, OpBoundary, OpConstant, OpSQLWhere, OpDropAction, OpDropEffect, OpSwapBranches}
}

// hooks are the texts of test-only hooks (mutants, failpoints, the
// world's fault injection): code under them is not mutated.
var hooks = []string{"Mutant(", "Fault(", "FaultHalfway(", "failpoint."}

// isHook reports whether n's source mentions a test-only hook.
func (g *gen) isHook(n ast.Node) bool {
	if n == nil {
		return false
	}
	t := g.text(n)
	for _, h := range hooks {
		if strings.Contains(t, h) {
			return true
		}
	}
	return false
}

// quiet are calls that only log, format or report: nothing inside them is
// mutated and dropping them is not a side effect worth judging. That
// includes the reconciler's recordCall, which only tells differential
// mode's recorder which context call an effect made (reconciler.CallRecorder:
// recording changes nothing in the run, and no other Env records).
func quiet(call *ast.CallExpr) bool {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name == "panic" || fn.Name == "print" || fn.Name == "println" || fn.Name == "recordCall"
	case *ast.SelectorExpr:
		if x, ok := fn.X.(*ast.Ident); ok {
			switch x.Name {
			case "fmt", "log", "slog", "errors", "strconv":
				return true
			}
		}
		switch fn.Sel.Name {
		case "Report", "report", "Emit", "emit", "EmitRaw", "emitRaw", "Logf", "Printf", "Errorf", "Debug", "Info", "Warn", "Error":
			return true
		}
	}
	return false
}

// visit is the ast.Inspect callback: it adds the mutants at n and says
// whether to descend.
func (g *gen) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.CallExpr:
		if quiet(n) {
			return false
		}
	case *ast.IfStmt:
		if g.isHook(n.Init) || g.isHook(n.Cond) {
			return false
		}
		if n.Cond != nil && !isErrCheck(n.Cond) && !isNot(n.Cond) {
			g.negate(n.Cond)
		}
		if els, ok := n.Else.(*ast.BlockStmt); ok && g.ops[OpSwapBranches] {
			g.add(OpSwapBranches, n.Body.Pos(), els.End(), g.text(els)+" else "+g.text(n.Body))
		}
	case *ast.CaseClause:
		for _, e := range n.List {
			if g.isHook(e) {
				return false
			}
		}
	case *ast.ForStmt:
		if n.Cond != nil && !isNot(n.Cond) {
			g.negate(n.Cond)
		}
	case *ast.UnaryExpr:
		if n.Op == token.NOT && g.ops[OpNegate] {
			g.add(OpNegate, n.Pos(), n.End(), g.text(n.X))
		}
	case *ast.BinaryExpr:
		g.binary(n)
	case *ast.BasicLit:
		g.literal(n)
	case *ast.IndexExpr, *ast.SliceExpr, *ast.ArrayType, *ast.ImportSpec, *ast.Field:
		return false // indices, sizes, imports, struct tags and parameter lists
	case *ast.AssignStmt:
		g.assign(n)
	case *ast.ExprStmt:
		if call, ok := n.X.(*ast.CallExpr); ok && !quiet(call) && !g.isHook(call) && g.ops[OpDropEffect] {
			g.add(OpDropEffect, n.Pos(), n.End(), "_ = []any{"+g.args(call)+"}")
		}
	}
	return true
}

// negate adds `!(c)` for a condition.
func (g *gen) negate(c ast.Expr) {
	if g.ops[OpNegate] {
		g.add(OpNegate, c.Pos(), c.End(), "!("+g.text(c)+")")
	}
}

// isErrCheck reports whether e is `err != nil` or `err == nil`.
func isErrCheck(e ast.Expr) bool {
	b, ok := e.(*ast.BinaryExpr)
	if !ok || (b.Op != token.EQL && b.Op != token.NEQ) {
		return false
	}
	isIdent := func(e ast.Expr, name string) bool { id, ok := e.(*ast.Ident); return ok && id.Name == name }
	return (isIdent(b.X, "err") && isIdent(b.Y, "nil")) || (isIdent(b.X, "nil") && isIdent(b.Y, "err"))
}

// isNot reports whether e is `!x` (the `!` operator mutates it already).
func isNot(e ast.Expr) bool {
	u, ok := e.(*ast.UnaryExpr)
	return ok && u.Op == token.NOT
}

// boundaries maps a comparison to its moved boundary.
var boundaries = map[token.Token]string{token.LSS: "<=", token.LEQ: "<", token.GTR: ">=", token.GEQ: ">"}

// binary adds the conjunct and boundary mutants of b.
func (g *gen) binary(b *ast.BinaryExpr) {
	switch {
	case (b.Op == token.LAND || b.Op == token.LOR) && g.ops[OpConjunct]:
		g.add(OpConjunct, b.Pos(), b.End(), g.text(b.X))
		g.add(OpConjunct, b.Pos(), b.End(), g.text(b.Y))
	case boundaries[b.Op] != "" && g.ops[OpBoundary]:
		// The original and mutated texts name the whole comparison, so
		// that the id tells `a < b` from `c < d` on one line.
		from, to := g.off(b.Pos()), g.off(b.End())
		op := g.off(b.OpPos) - from
		orig := g.text(b)
		repl := orig[:op] + boundaries[b.Op] + orig[op+len(b.Op.String()):]
		pos := g.fset.Position(b.OpPos)
		g.out = append(g.out, Mutant{File: g.path, Line: pos.Line, Col: pos.Column, Func: g.fn, Operator: OpBoundary,
			Original: squash(orig), Mutated: squash(repl), start: from, end: to, repl: repl})
	}
}

// literal adds the constant and SQL mutants of a literal.
func (g *gen) literal(l *ast.BasicLit) {
	switch l.Kind {
	case token.INT:
		if !g.ops[OpConstant] {
			return
		}
		v, err := strconv.ParseInt(strings.ReplaceAll(l.Value, "_", ""), 0, 64)
		if err != nil {
			return
		}
		g.add(OpConstant, l.Pos(), l.End(), strconv.FormatInt(v+1, 10))
		if v > 0 {
			g.add(OpConstant, l.Pos(), l.End(), strconv.FormatInt(v-1, 10))
		}
	case token.STRING:
		if !g.ops[OpSQLWhere] {
			return
		}
		for _, repl := range whereMutants(l.Value) {
			g.add(OpSQLWhere, l.Pos(), l.End(), repl)
		}
	}
}

// assign adds the drop-action and drop-effect mutants of an assignment.
func (g *gen) assign(a *ast.AssignStmt) {
	if len(a.Rhs) != 1 {
		return
	}
	call, ok := a.Rhs[0].(*ast.CallExpr)
	if !ok || quiet(call) || g.isHook(call) {
		return
	}
	if g.ops[OpDropAction] && a.Tok == token.ASSIGN && len(a.Lhs) == 1 && isAppendTo(call, g.text(a.Lhs[0])) &&
		(strings.Contains(strings.ToLower(g.text(a.Lhs[0])), "action") || appendsAction(call)) {
		g.add(OpDropAction, a.Pos(), a.End(), "_ = "+g.text(call))
		return
	}
	if !g.ops[OpDropEffect] {
		return
	}
	// Only the error (or nothing) is kept: the call is there for its effect.
	for i, l := range a.Lhs {
		id, ok := l.(*ast.Ident)
		if !ok || (id.Name != "_" && (id.Name != "err" || i != len(a.Lhs)-1)) {
			return
		}
	}
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Err" || sel.Sel.Name == "Close") {
		return
	}
	var noop string
	switch len(a.Lhs) {
	case 1:
		noop = "func(...any) error { return nil }"
	case 2:
		noop = "func(...any) (any, error) { return nil, nil }"
	default:
		return
	}
	g.add(OpDropEffect, call.Pos(), call.End(), noop+"("+g.args(call)+")")
}

// args is a call's arguments as a list of values (a spread argument
// passed as one value), so that a no-op still uses them.
func (g *gen) args(call *ast.CallExpr) string {
	parts := make([]string, len(call.Args))
	for i, a := range call.Args {
		parts[i] = g.text(a)
	}
	return strings.Join(parts, ", ")
}

// isAppendTo reports whether call is `append(x, …)` with x's text lhs.
func isAppendTo(call *ast.CallExpr, lhs string) bool {
	id, ok := call.Fun.(*ast.Ident)
	if !ok || id.Name != "append" || len(call.Args) < 2 {
		return false
	}
	x, ok := call.Args[0].(*ast.Ident)
	return ok && x.Name == lhs
}

// appendsAction reports whether an append adds a composite literal of a
// type named *Action.
func appendsAction(call *ast.CallExpr) bool {
	for _, a := range call.Args[1:] {
		cl, ok := a.(*ast.CompositeLit)
		if !ok {
			continue
		}
		var name string
		switch t := cl.Type.(type) {
		case *ast.Ident:
			name = t.Name
		case *ast.SelectorExpr:
			name = t.Sel.Name
		}
		if strings.HasSuffix(name, "Action") {
			return true
		}
	}
	return false
}

package differential

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/townsim/townsim/model/reconciler"
)

// A field of production's action union: its JSON key and where it lives in
// reconciler.Action.
type field struct {
	key      string
	optional bool // absent and "" are the same (create_mr_bead's pr_url, summary)
	str      func(a *reconciler.Action) *string
}

var (
	fBead      = field{key: "bead_id", str: func(a *reconciler.Action) *string { return &a.BeadID }}
	fAgent     = field{key: "agent_id", str: func(a *reconciler.Action) *string { return &a.AgentID }}
	fRig       = field{key: "rig_id", str: func(a *reconciler.Action) *string { return &a.RigID }}
	fConvoy    = field{key: "convoy_id", str: func(a *reconciler.Action) *string { return &a.ConvoyID }}
	fFrom      = field{key: "from"} // string or null
	fTo        = field{key: "to", str: func(a *reconciler.Action) *string { return &a.To }}
	fReason    = field{key: "reason", str: func(a *reconciler.Action) *string { return &a.Reason }}
	fActor     = field{key: "actor", str: func(a *reconciler.Action) *string { return &a.Actor }}
	fSource    = field{key: "source_bead_id", str: func(a *reconciler.Action) *string { return &a.SourceBeadID }}
	fExclude   = field{key: "exclude_mr_id", str: func(a *reconciler.Action) *string { return &a.ExcludeMRID }}
	fBranch    = field{key: "branch", str: func(a *reconciler.Action) *string { return &a.Branch }}
	fTarget    = field{key: "target_branch", str: func(a *reconciler.Action) *string { return &a.TargetBranch }}
	fFeature   = field{key: "feature_branch", str: func(a *reconciler.Action) *string { return &a.FeatureBranch }}
	fPRURL     = field{key: "pr_url", str: func(a *reconciler.Action) *string { return &a.PRURL }}
	fMessage   = field{key: "message", str: func(a *reconciler.Action) *string { return &a.Message }}
	fTier      = field{key: "tier", str: func(a *reconciler.Action) *string { return &a.Tier }}
	fTriage    = field{key: "triage_type", str: func(a *reconciler.Action) *string { return &a.TriageType }}
	fClosed    = field{key: "closed_beads"} // number
	fEventName = field{key: "event_name", str: func(a *reconciler.Action) *string { return &a.EventName }}
	fData      = field{key: "data"} // record, in key order
	fCanonical = field{key: "canonical_bead_id", str: func(a *reconciler.Action) *string { return &a.CanonicalBeadID }}
	fWasteland = field{key: "wasteland_id", str: func(a *reconciler.Action) *string { return &a.WastelandID }}
	fItem      = field{key: "item_id", str: func(a *reconciler.Action) *string { return &a.ItemID }}
	fEvidence  = field{key: "evidence", str: func(a *reconciler.Action) *string { return &a.Evidence }}
)

func optional(f field) field { f.optional = true; return f }

// shapes are the members of production's action union: each type's keys
// in the order production's schema declares them (reconciler.md §3.1).
var shapes = map[string][]field{
	reconciler.TransitionBead:             {fBead, fFrom, fTo, fReason, fActor},
	reconciler.AssignBead:                 {fBead, fAgent},
	reconciler.ClearBeadAssignee:          {fBead},
	reconciler.CreateMRBead:               {fSource, fAgent, fRig, fBranch, fTarget, optional(fPRURL), optional(field{key: "summary", str: func(a *reconciler.Action) *string { return &a.Summary }})},
	reconciler.CreateLandingMR:            {fConvoy, fRig, fFeature, fTarget},
	reconciler.CloseSiblingMRs:            {fSource, fExclude},
	reconciler.SetReviewPRURL:             {fBead, fPRURL},
	reconciler.TransitionAgent:            {fAgent, fFrom, fTo, fReason},
	reconciler.ResetAgentDispatchAttempts: {fAgent},
	reconciler.HookAgent:                  {fAgent, fBead},
	reconciler.UnhookAgent:                {fAgent, fReason},
	reconciler.ClearAgentCheckpoint:       {fAgent},
	reconciler.DeleteAgent:                {fAgent, fReason},
	reconciler.UpdateConvoyProgress:       {fConvoy, fClosed},
	reconciler.SetConvoyReadyToLand:       {fConvoy},
	reconciler.CloseConvoy:                {fConvoy},
	reconciler.FailConvoy:                 {fConvoy, fReason},
	reconciler.DispatchAgent:              {fAgent, fBead, fRig},
	reconciler.StopAgent:                  {fAgent, fReason},
	reconciler.PollPR:                     {fBead, fPRURL},
	reconciler.MergePR:                    {fBead, fPRURL},
	reconciler.SendNudge:                  {fAgent, fMessage, fTier},
	reconciler.CreateTriageRequest:        {fAgent, fTriage, fReason},
	reconciler.NotifyMayor:                {fMessage},
	reconciler.EmitEvent:                  {fEventName, fData},
	reconciler.ReportWastelandDone:        {fCanonical, fWasteland, fItem, fEvidence},
}

// EncodeAction writes a as production's action object: its type, then its
// member's keys in schema order. emit_event data values are the port's
// text (a number as JavaScript prints it). Two actions are the same action
// exactly when their encodings are equal.
func EncodeAction(a reconciler.Action) (json.RawMessage, error) {
	shape, ok := shapes[a.Type]
	if !ok {
		return nil, fmt.Errorf("action type %q is not in the union", a.Type)
	}
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	writeString(&b, a.Type)
	for _, f := range shape {
		switch f.key {
		case "from":
			b.WriteString(`,"from":`)
			if a.FromNull {
				b.WriteString("null")
			} else {
				writeString(&b, a.From)
			}
		case "closed_beads":
			fmt.Fprintf(&b, `,"closed_beads":%d`, a.ClosedBeads)
		case "data":
			b.WriteString(`,"data":{`)
			for i, kv := range a.EventData {
				if i > 0 {
					b.WriteByte(',')
				}
				writeString(&b, kv[0])
				b.WriteByte(':')
				writeString(&b, kv[1])
			}
			b.WriteByte('}')
		default:
			v := *f.str(&a)
			if f.optional && v == "" {
				continue
			}
			b.WriteString(`,"` + f.key + `":`)
			writeString(&b, v)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}

// ParseAction reads one of the original's actions. It is strict: an
// unknown type, a key its member does not have, a missing key or a value
// of the wrong JSON type is an error naming it (a checkout whose actions
// changed shape).
func ParseAction(raw json.RawMessage) (reconciler.Action, error) {
	var a reconciler.Action
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return a, fmt.Errorf("action %.120s: %v", raw, err)
	}
	if err := json.Unmarshal(obj["type"], &a.Type); err != nil || a.Type == "" {
		return a, fmt.Errorf("action %.120s: no string type", raw)
	}
	shape, ok := shapes[a.Type]
	if !ok {
		return a, fmt.Errorf("action type %q is not one the port knows", a.Type)
	}
	known := map[string]bool{"type": true}
	for _, f := range shape {
		known[f.key] = true
		v, present := obj[f.key]
		if !present {
			if f.optional {
				continue
			}
			return a, fmt.Errorf("%s action has no %s: %.200s", a.Type, f.key, raw)
		}
		var err error
		switch f.key {
		case "from":
			if string(v) == "null" {
				a.FromNull = true
			} else {
				err = json.Unmarshal(v, &a.From)
			}
		case "closed_beads":
			err = json.Unmarshal(v, &a.ClosedBeads)
		case "data":
			a.EventData, err = orderedRecord(v)
		default:
			if f.optional && string(v) == "null" {
				continue
			}
			err = json.Unmarshal(v, f.str(&a))
		}
		if err != nil {
			return a, fmt.Errorf("%s action: %s: %v", a.Type, f.key, err)
		}
	}
	var extra []string
	for k := range obj {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		return a, fmt.Errorf("%s action has keys the port does not know: %s", a.Type, strings.Join(sortedStrings(extra), ", "))
	}
	return a, nil
}

// orderedRecord reads a JSON object's members in order: strings as they
// are, anything else as its JSON text (numbers as JavaScript prints them).
func orderedRecord(raw json.RawMessage) ([][2]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("not an object: %.80s", raw)
	}
	var out [][2]string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		out = append(out, [2]string{kt.(string), s})
	}
	return out, nil
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

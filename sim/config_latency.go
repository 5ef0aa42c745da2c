package sim

import (
	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// LatencyConfig is the round-trip time of each external call kind (a
// call's own timeouts come on top, see ContainerConfig).
type LatencyConfig struct {
	WarmUp         des.Dist `yaml:"warm_up"`
	Health         des.Dist `yaml:"health"`
	RefreshToken   des.Dist `yaml:"refresh_token"`
	AgentStatus    des.Dist `yaml:"agent_status"`
	StartAgent     des.Dist `yaml:"start_agent"`
	StopAgent      des.Dist `yaml:"stop_agent"`
	SendMessage    des.Dist `yaml:"send_message"`
	ContainerState des.Dist `yaml:"container_state"`
	ContainerStop  des.Dist `yaml:"container_stop"`
	PRStatus       des.Dist `yaml:"pr_status"`
	PRFeedback     des.Dist `yaml:"pr_feedback"`
	MergePR        des.Dist `yaml:"merge_pr"`
	Wasteland      des.Dist `yaml:"wasteland"`
}

// For returns the latency of a call kind.
func (l *LatencyConfig) For(k model.CallKind) des.Dist {
	switch k {
	case model.CallWarmUp:
		return l.WarmUp
	case model.CallHealth:
		return l.Health
	case model.CallRefreshToken:
		return l.RefreshToken
	case model.CallAgentStatus:
		return l.AgentStatus
	case model.CallStartAgent:
		return l.StartAgent
	case model.CallStopAgent:
		return l.StopAgent
	case model.CallSendMessage:
		return l.SendMessage
	case model.CallContainerState:
		return l.ContainerState
	case model.CallContainerStop:
		return l.ContainerStop
	case model.CallPRStatus:
		return l.PRStatus
	case model.CallPRFeedback:
		return l.PRFeedback
	case model.CallMergePR:
		return l.MergePR
	}
	return l.Wasteland
}

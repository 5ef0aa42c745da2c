// The fixture's container client. The host replaces the calls the side
// effects make (start, stop, message) with the port's recorded answers;
// here they would need a container, which the tests never have.
const noContainer = (): never => {
  throw new Error('minigastown: there is no container in the fixture');
};

export async function startAgentInContainer(): Promise<{ started: boolean; containerFetchMs: number }> {
  return noContainer();
}

export function getLastStartError(): string | null {
  return null;
}

export async function stopAgentInContainer(_env: unknown, _townId: string, _agentId: string): Promise<void> {
  noContainer();
}

export async function sendMessageToAgent(_env: unknown, _townId: string, _agentId: string, _message: string): Promise<boolean> {
  return noContainer();
}

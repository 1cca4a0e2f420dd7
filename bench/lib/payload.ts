/**
 * An event payload whose JSON is exactly `bytes` long (a realistic mix of fields plus a filler
 * string), so every benchmark moves the same amount of data.
 */
export function makePayload(bytes = 1024): Record<string, unknown> {
  const base = {
    agentId: 'agt_01HZX3J8Q2N4V6B7C9D0E1F2G3',
    ownerId: 'usr_01HZX3J8Q2N4V6B7C9D0E1F2G4',
    name: 'Support agent',
    model: 'gpt-large',
    temperature: 0.2,
    tags: ['support', 'priority', 'eu-west'],
    createdAt: '2025-01-15T10:30:00.000Z',
    usage: { promptTokens: 1234, completionTokens: 567, totalTokens: 1801 },
    notes: '',
  }
  const empty = JSON.stringify(base).length
  if (empty > bytes) throw new Error(`payload cannot be smaller than ${empty} bytes`)
  base.notes = 'x'.repeat(bytes - empty)
  return base
}

/** The envelope hookline builds around `data` (same field names and order), as JSON. */
export function makeEnvelope(data: unknown): string {
  return JSON.stringify({
    id: `msg_${'0'.repeat(32)}`,
    event: 'agent.created',
    timestamp: new Date().toISOString(),
    webhook_id: `ep_${'0'.repeat(32)}`,
    data,
  })
}

/** A `data` payload sized so that the envelope hookline sends around it is `bytes` long. */
export function makePayloadForEnvelope(bytes = 1024): Record<string, unknown> {
  const overhead = makeEnvelope({}).length - 2
  return makePayload(bytes - overhead)
}

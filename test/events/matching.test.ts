import { describe, expect, it } from 'vitest'
import { matchFilters } from '../../src/events/match-filters.js'
import { EVENT_PATTERN, matchPattern } from '../../src/events/match-pattern.js'

describe('event matching', () => {
  it('matchPattern() - exact, *, trailing and inner wildcards', () => {
    expect(matchPattern('agent.created', 'agent.created')).toBe(true)
    expect(matchPattern('agent.created', 'agent.updated')).toBe(false)
    expect(matchPattern('*', 'anything.at.all')).toBe(true)
    expect(matchPattern('agent.*', 'agent.created')).toBe(true)
    expect(matchPattern('agent.*', 'agent.task.completed')).toBe(true)
    expect(matchPattern('agent.*', 'agent')).toBe(false)
    expect(matchPattern('agent.*', 'agents.created')).toBe(false)
    expect(matchPattern('*.failed', 'task.failed')).toBe(true)
    expect(matchPattern('*.failed', 'chain.step.failed')).toBe(false)
  })

  it('EVENT_PATTERN accepts names and wildcards, rejects junk', () => {
    for (const ok of ['agent.created', '*', 'agent.*', 'chain.step.completed', '*.failed', 'custom']) expect(EVENT_PATTERN.test(ok)).toBe(true)
    for (const bad of ['', 'agent..x', 'agent.', 'a b', 'agent.cre*ted']) expect(EVENT_PATTERN.test(bad)).toBe(false)
  })

  it('matchFilters() - equality on fields and dotted paths, arrays as any-of', () => {
    const data = { severity: 'high', agent_name: 'production_agent', user: { id: 'u1' }, tags: ['a'] }
    expect(matchFilters(null, data)).toBe(true)
    expect(matchFilters({ severity: 'high' }, data)).toBe(true)
    expect(matchFilters({ severity: 'low' }, data)).toBe(false)
    expect(matchFilters({ agent_name: 'production_agent', 'user.id': 'u1' }, data)).toBe(true)
    expect(matchFilters({ 'user.id': 'u2' }, data)).toBe(false)
    expect(matchFilters({ severity: ['high', 'critical'] }, data)).toBe(true)
    expect(matchFilters({ tags: ['a'] }, data)).toBe(true)
    expect(matchFilters({ missing: 'x' }, data)).toBe(false)
  })
})

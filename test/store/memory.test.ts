import { memoryStore } from '../../src/store/memory/index.js'
import { testStore } from './conformance.js'

testStore({ name: 'memory', create: async () => memoryStore() })

import { memoryStore } from '../../src/store/memory/index.js'
import { testStore } from './conformance.js'
import { testSecretsAtRest } from './secrets-at-rest.js'

testStore({ name: 'memory', create: async () => memoryStore() })

testSecretsAtRest({ name: 'memory', create: async () => memoryStore() })

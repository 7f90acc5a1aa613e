/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  snapshotSerializers: ['<rootDir>/test/asset-hash-serializer.js'],
  // Synthesizing a multi-region app takes seconds on 2 cores; time limits belong in bench/.
  testTimeout: 120_000,
  // Jest's default is one worker fewer than the cores: on 2 cores, one. Its parent process mostly
  // waits, so a worker per core (decision 16).
  maxWorkers: '100%',
  testSequencer: '<rootDir>/test/sequencer.js',
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean', '<rootDir>/test/setup.ts'],
};

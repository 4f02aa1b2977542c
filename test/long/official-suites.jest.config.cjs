'use strict';
/**
 * jest configuration for running the official Pinecone client's shipped integration suites
 * (node_modules/pinecone-client-{7,8}/dist/integration) unmodified against LarchDB. Used by official-suites.test.ts,
 * which sets:
 *   LARCH_CLIENT_DIR  the client's dist/ directory, real path (node_modules is a symlink here, and jest's crawler
 *                     does not follow symlinks)
 *   LARCH_SUITES      JSON array of suite files relative to dist/integration (the ones that need no cloud-only
 *                     feature)
 *   LARCH_TEST_TIMEOUT per-test and per-hook timeout in ms
 *   LARCH_JEST_CACHE  jest's cacheDirectory (inside the harness's temp directory, removed with it)
 *   LARCH_URL, LARCH_EXCHANGE_LOG, PINECONE_API_KEY, FIXTURES_JSON (read by the shim and the suites; no
 *                     PINECONE_CONTROLLER_HOST: the shim redirects every client, with or without a config object)
 */
const path = require('node:path');

const clientDir = process.env.LARCH_CLIENT_DIR;
if (!clientDir) throw new Error('LARCH_CLIENT_DIR is not set');
const suites = JSON.parse(process.env.LARCH_SUITES || '[]');
if (suites.length === 0) throw new Error('LARCH_SUITES is empty');

module.exports = {
  rootDir: path.join(clientDir, 'integration'),
  testEnvironment: 'node',
  testMatch: suites.map((s) => `<rootDir>/${s}`),
  // The suites live inside node_modules: keep jest from ignoring them there.
  testPathIgnorePatterns: [],
  haste: { retainAllFiles: true },
  // Compiled JavaScript already: no babel.
  transform: {},
  // Their own setup file (loads dotenv, checks PINECONE_API_KEY), then our fetch shim.
  setupFiles: ['<rootDir>/jest-setup.js'],
  setupFilesAfterEnv: [path.join(__dirname, 'official-suites.shim.cjs')],
  testTimeout: Number(process.env.LARCH_TEST_TIMEOUT || 20000),
  maxWorkers: 2,
  cache: false,
  // jest still writes its haste map and test timings (perf-cache) there: keep them in the harness's temp directory,
  // not in the shared /tmp/jest_<uid>.
  ...(process.env.LARCH_JEST_CACHE ? { cacheDirectory: process.env.LARCH_JEST_CACHE } : {}),
  // Fixture index names are random, as in the client's own CI; nothing to watch or collect.
  watchman: false,
  collectCoverage: false,
};

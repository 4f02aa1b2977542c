'use strict';
/**
 * The serverless-index half of the official client's integration setup (dist/integration/setup.js of 7.2.0 and
 * 8.2.0), run against LarchDB: same index (dimension 2, dotproduct, us-west-2, a filterable schema for the metadata
 * keys, the integration-tests tag), same seed records (10 `preTest-*` + 1 `diff-prefix-0` in `global-ns-one`) built
 * with the client's own test-helpers, same wait for the stats to count them. Their setup.js also creates an Assistant
 * and uploads a file to it; assistants are Pinecone-cloud-only, so that half is skipped and FIXTURES_JSON carries a
 * placeholder assistant (test-context.js insists on `assistant.name`; the assistant suites are not run).
 *
 * Run as `node official-suites.setup.cjs` with LARCH_CLIENT_DIR (the client's dist/ directory), LARCH_URL and
 * PINECONE_API_KEY set. Prints `FIXTURES_JSON=<json>` on stdout like theirs; logs go to stderr.
 */
const path = require('node:path');
require('./official-suites.shim.cjs');

const clientDir = process.env.LARCH_CLIENT_DIR;
if (!clientDir) throw new Error('LARCH_CLIENT_DIR is not set');
const { Pinecone } = require(path.join(clientDir, 'pinecone'));
const helpers = require(path.join(clientDir, 'integration', 'test-helpers'));

async function setup() {
  const apiKey = process.env.PINECONE_API_KEY;
  if (!apiKey) throw new Error('PINECONE_API_KEY environment variable not set');
  const pc = new Pinecone({ apiKey });

  const indexName = helpers.randomName(helpers.prefix);
  const recordsToUpsert = helpers.generateRecords({ prefix: helpers.prefix, dimension: 2, quantity: 10, withSparseValues: false, withMetadata: true });
  const oneRecordWithDiffPrefix = helpers.generateRecords({ prefix: helpers.diffPrefix, dimension: 2, quantity: 1, withSparseValues: false, withMetadata: true });
  const allRecords = [...oneRecordWithDiffPrefix, ...recordsToUpsert];
  const recordIds = allRecords.map((r) => r.id);
  const firstRecordMetadata = allRecords[0].metadata || {};
  const metadataKeys = Object.keys(firstRecordMetadata);
  if (metadataKeys.length === 0) throw new Error('Generated records have no metadata');
  const metadataFilterKey = metadataKeys[0];
  const metadataFilterValue = firstRecordMetadata[metadataFilterKey];

  console.error(`setup: creating serverless index ${indexName}`);
  await pc.createIndex({
    name: indexName,
    dimension: 2,
    metric: 'dotproduct',
    spec: {
      serverless: {
        cloud: 'aws',
        region: 'us-west-2',
        schema: { fields: Object.fromEntries(metadataKeys.map((key) => [key, { filterable: true }])) },
      },
    },
    waitUntilReady: true,
    tags: { project: 'pinecone-integration-tests' },
  });
  console.error(`setup: seeding ${indexName}/${helpers.globalNamespaceOne}`);
  await pc.index({ name: indexName, namespace: helpers.globalNamespaceOne }).upsert({ records: allRecords });
  await helpers.waitUntilRecordsReady(pc.index({ name: indexName, namespace: helpers.globalNamespaceOne }), helpers.globalNamespaceOne, recordIds);

  const fixtures = {
    serverlessIndex: {
      name: indexName,
      dimension: 2,
      metric: 'dotproduct',
      metadataFilter: { key: metadataFilterKey, value: metadataFilterValue },
      recordIds,
    },
    // Placeholder: no assistant exists (cloud-only); test-context.js only checks that a name is present.
    assistant: { name: 'larchdb-no-assistant', testFilePath: '' },
  };
  console.log(`FIXTURES_JSON=${JSON.stringify(fixtures)}`);
  return fixtures;
}

setup().then(
  () => process.exit(0),
  (err) => {
    console.error('setup failed:', err);
    process.exit(1);
  },
);

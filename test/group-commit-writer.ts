/**
 * Child process of write-path.test.ts (run with GROUP_COMMIT_CHILD=1): opens a LarchDB (durability fsync) on the
 * directory in argv[2] and runs argv[3] concurrent writers on one namespace until it is killed. Each writer upserts batches of BATCH records
 * whose values encode (writer, batch, record), and prints `ack <writer> <batch>` once a batch is acknowledged.
 */
import { LarchDB } from 'larchdb';

export const INDEX = 'gc';
export const DIM = 8;
export const BATCH = 20;

/** The values of record `j` of batch `b` of writer `w`: exact in float32, so they compare with ===. */
export const valuesOf = (w: number, b: number, j: number): number[] => [w, b, j, w + b, b - j, 0.5, -0.5, j * 2];
export const idOf = (w: number, b: number, j: number): string => `w${w}-b${b}-r${j}`;

async function main(): Promise<void> {
  const [dir, writersArg] = process.argv.slice(2);
  const db = await LarchDB.open({ path: dir!, durability: 'fsync', queryThreads: 1 });
  if (!(await db.listIndexes()).indexes?.some((i) => i.name === INDEX)) {
    await db.createIndex({ name: INDEX, dimension: DIM, metric: 'euclidean', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
  }
  const ns = db.index(INDEX).namespace('many');
  process.stdout.write('ready\n');
  await Promise.all(
    Array.from({ length: Number(writersArg) }, async (_, w) => {
      for (let b = 0; ; b++) {
        await ns.upsert(Array.from({ length: BATCH }, (_, j) => ({ id: idOf(w, b, j), values: valuesOf(w, b, j) })));
        process.stdout.write(`ack ${w} ${b}\n`);
      }
    }),
  );
}

if (process.env.GROUP_COMMIT_CHILD === '1') await main();

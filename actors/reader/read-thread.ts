/**
 * A reader thread: runs read-view queries the main thread hands it through shared memory (actors/shared/read-handoff.ts),
 * so that with queries in flight both cores search while the main thread pays only for writing the query and reading
 * the winners' labels. It takes the slots in ring order and sleeps in `Atomics.wait` (no CPU) while the next one is
 * empty. It never returns to its event loop: views come as messages it takes off its port synchronously
 * (`receiveMessageOnPort`) when a request names one it has not cached.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { HandoffSlots, HandoffStatus, HANDOFF_SLOTS, SlotState } from '../shared/read-handoff.js';
import { cacheView, cachedView, searchView } from '../shared/read-query.js';
import type { NamespaceReadView } from '../shared/read-view.js';

/** What the main thread posts to a reader: a view, under the id requests name it by. */
export interface ReaderViewMessage {
  viewId: number;
  view: NamespaceReadView;
}

const slots = new HandoffSlots((workerData as { sab: SharedArrayBuffer }).sab);

/** The view named `id`: cached, or among the messages waiting on the port (posted before the request was). */
function viewOf(id: number): NamespaceReadView | undefined {
  let view = cachedView(id);
  while (!view) {
    const m = receiveMessageOnPort(parentPort!) as { message: ReaderViewMessage } | undefined;
    if (!m) return undefined;
    cacheView(m.message.viewId, m.message.view);
    if (m.message.viewId === id) view = m.message.view;
  }
  return view;
}

function run(i: number): void {
  slots.setState(i, SlotState.Running);
  const { viewId, req, crash } = slots.request(i);
  try {
    const view = viewOf(viewId);
    if (!view) return slots.answer(i, HandoffStatus.UnknownView);
    const found = searchView(view, req, slots.ledger(i), crash);
    slots.answer(i, found ? HandoffStatus.Ok : HandoffStatus.NotFromView, found ?? undefined);
  } catch (err) {
    console.error('[larchdb] reader thread: a query failed:', err);
    slots.answer(i, HandoffStatus.Failed);
  }
}

for (let next = 0; !slots.stopped(); ) {
  const i = next % HANDOFF_SLOTS;
  const s = slots.state(i);
  if (s === SlotState.Submitted) {
    run(i);
    next++;
  } else {
    // Asleep until the main thread submits into this slot (or a DONE one from the last lap is freed, or stop).
    Atomics.wait(slots.words, slots.stateIndex(i), s);
  }
}

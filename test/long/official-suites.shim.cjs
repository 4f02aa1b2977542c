'use strict';
/**
 * Fetch shim for the official Pinecone client's shipped jest suites (see official-suites.test.ts).
 *
 * The suites build `new Pinecone({ apiKey })`, which ignores PINECONE_CONTROLLER_HOST, so the control plane would go
 * to https://api.pinecone.io. This wraps globalThis.fetch (the client reads `global.fetch` when it builds its APIs,
 * after this file has run) and sends those requests to the LarchDB server in LARCH_URL instead. A redirected
 * response (and its clones) reports the URL the client asked for, since the client quotes response.url in its error
 * messages. Index hosts come back from the server as http://127.0.0.1:PORT/index/<name>, so the data plane needs no
 * rewrite. Everything else (the retries suite's own mock server on localhost:4000) passes through.
 *
 * With LARCH_EXCHANGE_LOG set, every exchange is appended to that file as one JSON line (suite file, test name,
 * request, status, answer; bodies cut at 2000 characters) so that the harness can show, for a failing test, what the
 * client sent and what the server answered.
 *
 * Loaded by jest as a setupFilesAfterEnv module (so `expect.getState()` names the running test), and required by
 * official-suites.setup.cjs in plain node.
 */
const fs = require('node:fs');

const CLOUD = /^https:\/\/api\.pinecone\.io(?=\/|\?|$)/;
const MAX = 2000;

function install() {
  const target = process.env.LARCH_URL;
  if (!target) throw new Error('official-suites.shim.cjs: LARCH_URL is not set');
  const original = globalThis.fetch;
  if (original.larchShim) return;
  const logFile = process.env.LARCH_EXCHANGE_LOG;

  const cut = (s) => (typeof s === 'string' && s.length > MAX ? `${s.slice(0, MAX)}…(${s.length} chars)` : s);

  const where = () => {
    if (typeof globalThis.expect !== 'function' || !globalThis.expect.getState) return { file: '(global setup)', test: '(global setup)' };
    const state = globalThis.expect.getState();
    return { file: state.testPath, test: state.currentTestName ?? '(hook: beforeAll/afterAll)' };
  };

  // The client quotes response.url (of a clone) in its error messages: report the URL it asked for, as the cloud would.
  const relabel = (res, url) => {
    const clone = res.clone.bind(res);
    Object.defineProperty(res, 'url', { value: url });
    Object.defineProperty(res, 'clone', { value: () => relabel(clone(), url) });
    return res;
  };

  const shimmed = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const sent = CLOUD.test(url) ? url.replace(CLOUD, target) : url;
    const request = typeof input === 'string' || input instanceof URL ? sent : new Request(sent, input);
    const method = (init && init.method) || (typeof input === 'object' && input.method) || 'GET';
    const body = init && typeof init.body === 'string' ? init.body : undefined;
    const at = where();
    let res;
    try {
      res = await original(request, init);
    } catch (e) {
      if (logFile) fs.appendFileSync(logFile, `${JSON.stringify({ ...at, method, url: sent, body: cut(body), error: String(e) })}\n`);
      throw e;
    }
    if (sent !== url) relabel(res, url);
    if (logFile) {
      let answer;
      try {
        answer = await res.clone().text();
      } catch (e) {
        answer = `(unreadable: ${e})`;
      }
      fs.appendFileSync(logFile, `${JSON.stringify({ ...at, method, url: sent, body: cut(body), status: res.status, answer: cut(answer) })}\n`);
    }
    return res;
  };
  shimmed.larchShim = true;
  globalThis.fetch = shimmed;
}

install();
module.exports = { install };

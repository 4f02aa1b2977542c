/**
 * Opening bench reports in headless Chromium (Debian's package) for the tests: every non-file request blocked, what
 * was drawn read back from the canvases and legends, a screenshot taken.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { BenchReport } from '../bench/harness/index.js';

const CHROMIUM = '/usr/bin/chromium';
/** Pages and screenshots of this test run. */
export const OUT = mkdtempSync(join(tmpdir(), 'larchdb-bench-report-'));

export interface Drawn {
  id: string;
  kind: string;
  canvases: number;
  colored: number;
  /** The legend's series labels (the x series first). */
  legend: string[];
  /** The legend markers' border colours, as the browser computed them (the x series first). */
  markers: string[];
}

/** Opens a page in headless Chromium with every non-file request blocked; returns what was drawn and attempted. */
export async function openInChromium(t: TestContext, html: string, name: string): Promise<{ drawn: number; charts: Drawn[]; attempted: string[]; errors: string[] }> {
  assert.ok(existsSync(CHROMIUM), `Chromium is missing (${CHROMIUM}): run \`apt-get install chromium\` (CI's .ci/run installs it when it is missing)`);
  const file = join(OUT, `${name}.html`);
  writeFileSync(file, html);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const attempted: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      attempted.push(url);
      return route.abort();
    });
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts-drawn]', { timeout: 20_000 });
    const drawn = Number(await page.evaluate('document.body.dataset.chartsDrawn'));
    const charts = (await page.evaluate(`[...document.querySelectorAll('[data-chart]')].map((div) => {
      const canvases = div.querySelectorAll('canvas');
      let colored = 0;
      for (const c of canvases) {
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        // Series are drawn in saturated colours; axes, grid and text are grey.
        for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 128 && Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 60) colored++;
      }
      const legend = [...div.querySelectorAll('.u-legend .u-series .u-label')].map((l) => l.textContent);
      const markers = [...div.querySelectorAll('.u-legend .u-series .u-marker')].map((l) => getComputedStyle(l).borderColor);
      return { id: div.id, kind: div.dataset.chart, canvases: canvases.length, colored, legend, markers };
    })`)) as Drawn[];
    const shot = join(OUT, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 50_000, `screenshot ${shot} is ${statSync(shot).size} bytes`);
    t.diagnostic(`screenshot: ${shot}`);
    return { drawn, charts, attempted, errors };
  } finally {
    await browser.close();
  }
}

/** Charts a run should draw: a timeline per measurement that has one, a CDF per workload kind, and the three others. */
export function expectedCharts(reports: BenchReport[]): number {
  const labels = new Set(reports.flatMap((r) => r.measurements.filter((m) => m.timeline.length > 0).map((m) => m.label)));
  const kinds = new Set(reports.flatMap((r) => r.measurements.filter((m) => m.cdf.length > 0).map((m) => m.workload)));
  return labels.size + kinds.size + 3;
}

export function assertDrawn(got: Awaited<ReturnType<typeof openInChromium>>, expected: number): void {
  assert.deepEqual(got.attempted, [], 'no network request was attempted');
  assert.deepEqual(got.errors, [], 'no console error or warning');
  assert.equal(got.drawn, expected);
  assert.equal(got.charts.length, expected);
  for (const c of got.charts) {
    assert.ok(c.canvases >= 1, `${c.id} has a canvas`);
    assert.ok(c.colored > 200, `${c.id} has its series drawn (${c.colored} coloured pixels)`);
  }
  const kinds = new Set(got.charts.map((c) => c.kind));
  assert.deepEqual([...kinds].sort(), ['filtered-recall', 'latency-cdf', 'latency-over-time', 'recall-vs-qps', 'throughput-per-concurrency']);
}

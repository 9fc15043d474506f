/**
 * Status texts in the browser's language: a source (simulator) and a sink
 * (mqtt-out to the real Mosquitto; aedes where there is none) show their live status in German in a
 * German Chromium (locale de-DE) and in English in an English one, while a
 * Status node in the flow keeps receiving the stable English text. An error
 * status of the kits (a misconfigured buffer), a node's own error status (scale:
 * an empty raw range) and the canvas and port labels follow the language too,
 * with the singular of a count of 1 ("Abfüllanlage (1 Linie)").
 * With PLANTWIRE_SHOTS_DIR=<dir> it saves both views (status-de.png, status-en.png).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumCheck, openEditor } from '../helpers/browser';
import { brokerNode, capture, mqttOut, statusOf, TAB } from '../helpers/flows';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { sharedBroker, type TestBroker } from '../helpers/mqtt';

const chrome = chromiumCheck();
const SHOTS = process.env.PLANTWIRE_SHOTS_DIR;

const flow = (brokerUrl: string): unknown[] => [
  TAB,
  brokerNode('e2e-broker', brokerUrl),
  {
    id: 'e2e-sim',
    type: 'plantwire-simulator',
    z: 'tab1',
    name: '',
    version: 1,
    source: 'bottling',
    lines: 1,
    signals: [],
    interval: 500,
    output: 'each',
    asset: 'plantwire-e2e/status-i18n',
    autostart: true,
    seed: 1,
    x: 160,
    y: 100,
    wires: [['e2e-out']],
  },
  mqttOut('e2e-out', 'e2e-broker', { x: 460, y: 100 }),
  mqttOut('e2e-bad', 'e2e-broker', { x: 460, y: 300, bufferMode: 'tape' }),
  // A node's own error status (src/transforms/scale.ts: PlantwireError(…, 'raw range is empty')).
  { id: 'e2e-scale', type: 'plantwire-scale', z: 'tab1', name: '', version: 1, mode: 'range', rawMin: '5', rawMax: '5', engMin: '0', engMax: '100', x: 160, y: 300, wires: [[]] },
  { ...statusOf('e2e-status', ['e2e-out'], 'e2e-status-cap'), x: 160, y: 200 },
  { ...capture('e2e-status-cap'), x: 460, y: 200 },
];

/** The label on the node with this id, and the labels of its ports, as the editor has them. */
async function labels(page: Page, id: string): Promise<{ label: string; input: string; output: string }> {
  return page.evaluate((nodeId) => {
    /* eslint-disable @typescript-eslint/no-explicit-any */
    const g = globalThis as any;
    const n = g.RED.nodes.node(nodeId);
    const port = (f: unknown): string => (typeof f === 'function' ? String(f.call(n, 0)) : String(f ?? ''));
    return { label: g.document.getElementById(nodeId)?.querySelector('.red-ui-flow-node-label')?.textContent ?? '', input: port(n._def.inputLabels), output: port(n._def.outputLabels) };
  }, id);
}

/** The status label under the node with this id, as the editor draws it. */
async function statusLabel(page: Page, id: string): Promise<string> {
  return page.evaluate((nodeId) => {
    const doc = (globalThis as unknown as { document: { getElementById(id: string): { querySelector(s: string): { textContent: string | null } | null } | null } }).document;
    return doc.getElementById(nodeId)?.querySelector('.red-ui-flow-node-status-label')?.textContent ?? '';
  }, id);
}

describe.skipIf(!chrome.available)('status texts in the editor follow the browser language (Chromium, MQTT broker)', () => {
  let rt: TestRuntime;
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await sharedBroker();
    rt = await startTestRuntime();
    await rt.deploy(flow(broker.url));
  });
  afterAll(async () => {
    await rt?.stop();
    await broker?.stop();
  });

  for (const [locale, sim, out, words] of [
    ['de-DE', /^\d+ Tags @ 500 ms$/, /^[\d.]+ veröffentlicht$/, { bad: 'ungültiger Puffermodus', nodeError: 'Rohbereich ist leer', sim: 'Abfüllanlage (1 Linie)', simIn: 'Befehl: "start", "stop" oder "emit"', simOut: 'ein Tag-Sample je Nachricht', outIn: 'Tag-Sample, Batch von Samples oder ein einfacher Wert mit msg.topic' }],
    ['en-US', /^\d+ tags @ 500 ms$/, /^[\d,]+ published$/, { bad: 'bad buffer mode', nodeError: 'raw range is empty', sim: 'bottling plant (1 line)', simIn: 'command: "start", "stop" or "emit"', simOut: 'one tag sample per message', outIn: 'tag sample, batch of samples, or a plain value with msg.topic' }],
  ] as const) {
    it(`${locale}: the simulator (source) and mqtt-out (sink) show their status in ${locale}`, async () => {
      const ed = await openEditor(rt.url, ADMIN.username, ADMIN.password, locale);
      try {
        const { page } = ed;
        await expect.poll(() => statusLabel(page, 'e2e-sim'), { message: 'simulator status', timeout: 15_000 }).toMatch(sim);
        await expect.poll(() => statusLabel(page, 'e2e-out'), { message: 'mqtt-out status', timeout: 15_000 }).toMatch(out);
        // An error status of the kits (the sink kit's buffer settings), canvas and port labels.
        await expect.poll(() => statusLabel(page, 'e2e-bad'), { message: 'error status', timeout: 15_000 }).toBe(words.bad);
        await expect.poll(() => statusLabel(page, 'e2e-scale'), { message: 'node error status', timeout: 15_000 }).toBe(words.nodeError);
        expect(await labels(page, 'e2e-sim')).toEqual({ label: words.sim, input: words.simIn, output: words.simOut });
        expect((await labels(page, 'e2e-out')).input).toBe(words.outIn);
        if (SHOTS) {
          const box = await page.locator('#red-ui-workspace-chart').boundingBox();
          if (box) await page.screenshot({ path: path.join(SHOTS, `status-${locale.slice(0, 2)}.png`), clip: { x: box.x, y: box.y, width: 700, height: 220 } });
        }
        expect(ed.consoleErrors).toEqual([]);
      } finally {
        await ed.close();
      }
    }, 120_000);
  }

  it('flows keep the English text: a Status node receives "… published"', async () => {
    const got = await rt.waitFor('e2e-status-cap', 1, 15_000);
    const texts = got.map((c) => String((c.msg.status as { text?: string }).text ?? ''));
    expect(texts.some((t) => / published$/.test(t)), texts.join(' | ')).toBe(true);
    expect(texts.filter((t) => /veröffentlicht/.test(t))).toEqual([]);
  });
});

/**
 * The editor as a citizen integrator sees it, in a real Chromium: log in, find
 * every Plantwire node in the palette, read each node's help, drag a simulator
 * into the workspace, get a field marked red for an invalid value, fix it,
 * deploy, and see a green status.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { chromiumCheck, expectFieldMessage, openEditor, type EditorSession } from '../helpers/browser';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const chrome = chromiumCheck();
const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
const category = (type: string): string | undefined => /category:\s*'([^']+)'/.exec(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'editor.ts'), 'utf8'))?.[1];
/** Config nodes have no palette entry; they are checked through the nodes that use them. */
const TYPES = Object.keys(pkg['node-red'].nodes).filter((t) => category(t) !== 'config');

/** One field per node type, an invalid value it must mark red (and the en-US message shown), and a valid one. */
interface InvalidRow {
  field: string;
  /** typed into the field; none: the field as a new node has it must be marked */
  invalid?: string;
  valid?: string;
  /** key under "<type>.validation" in the node's en-US locale */
  message?: string;
  /** selects to set first: [selector, value] */
  before?: Array<[string, string]>;
  /**
   * A typed input (msg/flow/global/env or a fixed text) checked as well: a bad
   * fixed text typed into its visible box marks the box red. (Node-RED 4 hangs
   * a typed input's message on its hidden field, where no pointer reaches it,
   * so the message is checked on the row's plain field.)
   */
  typed?: { field: string; invalid: string; valid: string; before?: Array<[string, string]> };
}
const INVALID: Record<string, InvalidRow> = {
  'plantwire-simulator': { field: '#node-input-interval', invalid: '10', valid: '500', message: 'interval' },
  'plantwire-normalize': { field: '#node-input-timestampField', invalid: '', valid: 'ts', message: 'timestampField', before: [['#node-input-timestamp', 'field']] },
  'plantwire-modbus-read': { field: '#node-input-interval', invalid: '20', valid: '0', message: 'interval' },
  'plantwire-modbus-write': { field: '#node-input-csv', invalid: 'tag,address,function', valid: 'tag,address,function,writable\nSpeed,1,holding,true', message: 'csv', before: [['#node-input-mapSource', 'csv']] },
  'plantwire-mqtt-in': { field: '#node-input-topics', invalid: 'plant/#/line1', valid: 'plant/+/line1/#', message: 'topics' },
  'plantwire-historian-out': { field: '#node-input-batchSize', invalid: '0', valid: '100', message: 'batchSize' },
  'plantwire-mqtt-out': { field: '#node-input-group', invalid: 'a/b', valid: 'Plantwire', message: 'group', before: [['#node-input-mode', 'sparkplug']], typed: { field: '#node-input-template', invalid: 'plant/#/{tag}', valid: 'plant/{line}/{tag}', before: [['#node-input-mode', 'template']] } },
  'plantwire-opcua-in': { field: '#node-input-publishingInterval', invalid: '5', valid: '250', message: 'publishingInterval' },
  'plantwire-opcua-method': { field: '#node-input-args', invalid: '{"BatchId": ', valid: '{"BatchId": "B-1"}', message: 'args' },
  // Their only setting is the endpoint: with none chosen, the endpoint field is marked.
  'plantwire-opcua-read': { field: '#node-input-endpoint' },
  'plantwire-opcua-write': { field: '#node-input-endpoint' },
  // A new asset map starts with one empty rule: its required match cell is marked.
  'plantwire-asset-map': { field: '#node-input-rule-list .rule-match' },
  // A mapping with a JSONata syntax error is marked (and refused at deploy).
  // The key (a JSONata expression by default) is checked with the editor's global jsonata (the field spec's rule).
  'plantwire-erp-out': { field: '#node-input-batchSize', invalid: '0', valid: '5', message: 'batchSize', typed: { field: '#node-input-key', invalid: 'payload.', valid: 'payload.order' } },
  'plantwire-erp-query': { field: '#node-input-top', invalid: '-5', valid: '10', message: 'top' },
  'plantwire-email-out': { field: '#node-input-cc', invalid: 'shift lead', valid: 'shift-lead@example.com, Maintenance <maint@example.com>', message: 'cc', typed: { field: '#node-input-to', invalid: 'shift lead', valid: 'shift-lead@example.com, Maintenance <maint@example.com>' } },
  // A new alarm node / condition node starts with one empty row: its required tag cell is marked.
  'plantwire-alarm': { field: '#node-input-alarm-list .al-tag', valid: 'Line1/Filler/ProductTemperature' },
  'plantwire-condition': { field: '#node-input-monitor-list .cm-tag', valid: 'Line1/Filler/FillVolume' },
  'plantwire-nats-out': { field: '#node-input-subject', invalid: 'uns.>', valid: 'uns.{asset}.{tag}', message: 'subject' },
  'plantwire-nats-in': { field: '#node-input-durable', invalid: 'central.a', valid: 'central', message: 'name' },
  'plantwire-nats-ack': { field: '#node-input-nakDelay', invalid: '-1', valid: '2', message: 'nakDelay', before: [['#node-input-action', 'nak']] },
};
function messageOf(type: string, key: string): string {
  const loc = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'locales', 'en-US.json'), 'utf8')) as Record<string, { validation?: Record<string, string> }>;
  const text = loc[type]?.validation?.[key];
  if (!text) throw new Error(`${type}: no en-US message validation.${key}`);
  return text;
}

describe.skipIf(!chrome.available)('the editor in Chromium', () => {
  let rt: TestRuntime;
  let ed: EditorSession;

  beforeAll(async () => {
    rt = await startTestRuntime({ flows: [{ id: 'e2e-tab', type: 'tab', label: 'e2e' }] });
    ed = await openEditor(rt.url, ADMIN.username, ADMIN.password);
  }, 120_000);

  afterAll(async () => {
    await ed?.close();
    await rt?.stop();
  });

  it('the palette shows every Plantwire node', async () => {
    for (const type of TYPES) {
      const entry = ed.page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
      await expect.poll(() => entry.count(), { message: `${type} in the palette`, timeout: 10_000 }).toBe(1);
    }
  });

  it('every Plantwire node has help in the sidebar, with its sections', async () => {
    const { page } = ed;
    await page.locator('#red-ui-tab-help-link-button').click();
    for (const type of TYPES) {
      const entry = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
      // Categories may be collapsed: open the one holding the node first.
      if (!(await entry.isVisible())) {
        const category = page.locator('#red-ui-palette .red-ui-palette-category', { has: entry }).locator('.red-ui-palette-header');
        await category.click();
      }
      // Clicking a palette node shows its summary in a popover; its book button opens the full help.
      await entry.click();
      // For nodes low in the palette the popover can reach past the bottom of the window, where a
      // pointer click lands on the page instead: dispatch the click on the button itself.
      await page.locator('.red-ui-popover:visible button:has(i.fa-book)').dispatchEvent('click');
      const help = page.locator('#red-ui-sidebar-content');
      await expect.poll(async () => ((await help.innerText()).match(/Outputs[\s\S]*Details[\s\S]*Example/) ? (await help.innerText()).length : 0), { message: `${type} help text`, timeout: 10_000 }).toBeGreaterThanOrEqual(400);
      const text = await help.innerText();
      for (const section of ['Outputs', 'Details', 'Example']) expect(text, `${type} help: ${section}`).toContain(section);
    }
  }, 180_000);

  it('drag a simulator in, an invalid interval is marked red, a valid one deploys with a green status', async () => {
    const { page } = ed;
    const entry = page.locator('#red-ui-palette .red-ui-palette-node[data-palette-type="plantwire-simulator"]');
    const chart = page.locator('#red-ui-workspace-chart');
    await entry.dragTo(chart, { targetPosition: { x: 300, y: 200 } });
    const node = chart.locator('g.red-ui-flow-node-group').first();
    await node.waitFor({ state: 'visible' });
    await node.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray').last();
    const interval = tray.locator('#node-input-interval');
    await interval.waitFor({ state: 'visible' });
    await interval.fill('10');
    await interval.dispatchEvent('change');
    await expect.poll(() => interval.evaluate((el) => el.classList.contains('input-error')), { message: 'interval 10 ms is marked invalid' }).toBe(true);
    await interval.fill('500');
    await interval.dispatchEvent('change');
    await expect.poll(() => interval.evaluate((el) => el.classList.contains('input-error')), { message: 'interval 500 ms is valid' }).toBe(false);
    await tray.locator('#node-dialog-ok').click();
    await page.locator('#red-ui-header-button-deploy').click();
    const status = node.locator('.red-ui-flow-node-status-label');
    await expect.poll(() => status.textContent(), { message: 'status after deploy', timeout: 15_000 }).toMatch(/52 tags @ 500 ms/);
    const dot = node.locator('.red-ui-flow-node-status');
    expect(await dot.getAttribute('class')).toMatch(/red-ui-flow-node-status-dot-green/);
    const flows = await rt.admin<Array<{ type: string; interval?: string | number }>>('GET', '/flows');
    expect(Number(flows.body.find((n) => n.type === 'plantwire-simulator')?.interval)).toBe(500);
  });

  it('every node type marks an invalid field red, with its message', async () => {
    const { page } = ed;
    const chart = page.locator('#red-ui-workspace-chart');
    const search = page.locator('#red-ui-palette-search input');
    for (const type of TYPES) {
      const row = INVALID[type];
      await search.fill(type);
      const entry = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
      await entry.dragTo(chart, { targetPosition: { x: 400, y: 400 } });
      await search.fill('');
      const id = await page.evaluate((t) => {
        const red = (globalThis as unknown as { RED: { nodes: { filterNodes(f: { type: string }): Array<{ id: string }> } } }).RED;
        return red.nodes.filterNodes({ type: t }).at(-1)?.id ?? '';
      }, type);
      expect(id, `${type} dropped`).not.toBe('');
      await chart.locator(`g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).dblclick();
      const tray = page.locator('.red-ui-tray').last();
      await tray.locator('#node-input-name').waitFor({ state: 'visible' });
      if (row) {
        for (const [select, value] of row.before ?? []) await tray.locator(select).selectOption(value);
        const field = tray.locator(row.field);
        if (row.invalid !== undefined) {
          await field.fill(row.invalid);
          await field.dispatchEvent('change');
        }
        await expect.poll(() => field.evaluate((el) => el.classList.contains('input-error')), { message: `${type}: ${row.field} = ${JSON.stringify(row.invalid)} is marked` }).toBe(true);
        if (row.message) {
          const message = messageOf(type, row.message);
          await expectFieldMessage(page, field, message, `${type}: the message of ${row.field}`);
        }
        if (row.valid !== undefined) {
          await field.fill(row.valid);
          await field.dispatchEvent('change');
          await expect.poll(() => field.evaluate((el) => el.classList.contains('input-error')), { message: `${type}: ${row.field} = ${JSON.stringify(row.valid)} is valid` }).toBe(false);
        }
        if (row.typed) {
          // The typed input's box follows its hidden field; typing into it sets the field (source "str", a fixed text).
          const t = row.typed;
          for (const [select, value] of t.before ?? []) await tray.locator(select).selectOption(value);
          const box = tray.locator(`${t.field} + .red-ui-typedInput-container`);
          const input = box.locator('input.red-ui-typedInput-input');
          await input.fill(t.invalid);
          await input.dispatchEvent('change');
          await expect.poll(() => box.evaluate((el) => el.classList.contains('input-error')), { message: `${type}: ${t.field} = ${JSON.stringify(t.invalid)} is marked` }).toBe(true);
          await input.fill(t.valid);
          await input.dispatchEvent('change');
          await expect.poll(() => box.evaluate((el) => el.classList.contains('input-error')), { message: `${type}: ${t.field} = ${JSON.stringify(t.valid)} is valid` }).toBe(false);
        }
      } else {
        // A node type without a row (e.g. one that landed later): find a validated text field that rejects one of a few bad values.
        const marked = await tray.evaluate(async (el, t) => {
          const red = (globalThis as unknown as { RED: { nodes: { getType(t: string): { defaults: Record<string, { validate?: unknown; required?: boolean; type?: string }> } } } }).RED;
          const defs = red.nodes.getType(t).defaults;
          for (const [prop, def] of Object.entries(defs)) {
            if (def.type || (!def.validate && !def.required)) continue;
            const input = el.querySelector(`#node-input-${prop}`) as unknown as { value: string; tagName: string; type: string; offsetParent: unknown; classList: { contains(c: string): boolean }; dispatchEvent(e: Event): boolean } | null;
            if (!input || input.offsetParent === null || !/^(INPUT|TEXTAREA)$/.test(input.tagName) || !/^(text|number|textarea)$/.test(input.type)) continue;
            for (const bad of ['', '-1', 'not valid #+/', '{']) {
              input.value = bad;
              input.dispatchEvent(new Event('change', { bubbles: true }));
              await new Promise((r) => setTimeout(r, 50));
              if (input.classList.contains('input-error')) return `${prop}=${JSON.stringify(bad)}`;
            }
          }
          return '';
        }, type);
        expect(marked, `${type}: no dialog field is marked red for an invalid value (add a row to INVALID)`).not.toBe('');
      }
      await page.locator('#node-dialog-delete').click();
      await tray.locator('#node-input-name').waitFor({ state: 'detached' });
    }
  }, 180_000);

  it('in a German browser, every node shows its German help and the dialog has no untranslated labels', async () => {
    const de = await openEditor(rt.url, ADMIN.username, ADMIN.password, 'de-DE');
    try {
      const { page } = de;
      await page.locator('#red-ui-tab-help-link-button').click();
      for (const type of TYPES) {
        const entry = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
        await page.locator('#red-ui-palette-search input').fill(type);
        await entry.click();
        // For nodes low in the palette the popover can reach past the bottom of the window, where a
      // pointer click lands on the page instead: dispatch the click on the button itself.
      await page.locator('.red-ui-popover:visible button:has(i.fa-book)').dispatchEvent('click');
        const help = page.locator('#red-ui-sidebar-content');
        await expect.poll(async () => (await help.innerText()).match(/Ausgänge[\s\S]*Details[\s\S]*Beispiel/) !== null, { message: `${type}: German help`, timeout: 10_000 }).toBe(true);
        await page.locator('#red-ui-palette-search input').fill('');
      }
      // One dialog in German: its labels come from the de catalogue, none shows a raw key.
      await page.locator('#red-ui-palette-search input').fill('plantwire-opcua-in');
      await page.locator('#red-ui-palette .red-ui-palette-node[data-palette-type="plantwire-opcua-in"]').dragTo(page.locator('#red-ui-workspace-chart'), { targetPosition: { x: 200, y: 500 } });
      const id = await page.evaluate(() => (globalThis as unknown as { RED: { nodes: { filterNodes(f: { type: string }): Array<{ id: string }> } } }).RED.nodes.filterNodes({ type: 'plantwire-opcua-in' }).at(-1)?.id ?? '');
      await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).dblclick();
      const tray = page.locator('.red-ui-tray').last();
      await tray.locator('#node-input-publishingInterval').waitFor({ state: 'visible' });
      const raw = await tray.evaluate((el) => [...el.querySelectorAll('label, span, option')].map((e) => e.textContent ?? '').filter((t) => /plantwire-[a-z-]+\./.test(t)));
      expect(raw, 'untranslated labels').toEqual([]);
      const expected = (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', 'plantwire-opcua-in', 'locales', 'de.json'), 'utf8')) as { 'plantwire-opcua-in': { label: { publishingInterval: string } } })['plantwire-opcua-in'].label.publishingInterval;
      expect(await tray.innerText()).toContain(expected);
      await page.locator('#node-dialog-delete').click();
      expect(de.consoleErrors).toEqual([]);
    } finally {
      await de.close();
    }
  }, 180_000);

  it('the browser logged no unexpected errors', () => {
    expect(ed.consoleErrors).toEqual([]);
  });
});

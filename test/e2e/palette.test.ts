/**
 * The Plantwire palette as a user sees it in Chromium, in English and German:
 * categories in OT → transform → IT order, every label on one line inside its
 * node with room to spare (at least 5 px from the node's edge and from the
 * icon, and at least 5 px from a port, whose square reaches into the node: a
 * font a little wider than Chromium's Arial substitute must still fit), one capitalisation style (lower case throughout, as Node-RED's own
 * palette: "mqtt in", "http request"), category names in the user's language.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { chromiumCheck, openEditor } from '../helpers/browser';
import { ADMIN, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const chrome = chromiumCheck();
const TYPES = Object.keys((JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes);
/** Room between a label's text and the node's edge or icon. */
const CLEARANCE_PX = 5;

interface PaletteEntry {
  type: string;
  label: string;
  lines: number;
  overflow: string;
}

describe.skipIf(!chrome.available)('palette: order, labels that fit, one style, German categories (Chromium)', () => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await startTestRuntime({ flows: [{ id: 'e2e-tab', type: 'tab', label: 'e2e' }] });
  }, 120_000);

  afterAll(async () => {
    await rt?.stop();
  });

  for (const [locale, names] of [
    ['en-US', ['Plantwire OT', 'Plantwire transform', 'Plantwire IT']],
    ['de-DE', ['Plantwire OT', 'Plantwire Transformation', 'Plantwire IT']],
  ] as const) {
    it(`${locale}: categories ${names.join(' → ')}, every label on one line inside its node`, async () => {
      const ed = await openEditor(rt.url, ADMIN.username, ADMIN.password, locale);
      try {
        const { page } = ed;
        const found = await page.evaluate((clearance: number) => {
          /* eslint-disable @typescript-eslint/no-explicit-any */
          const d = (globalThis as any).document;
          const headers: string[] = [...d.querySelectorAll('#red-ui-palette .red-ui-palette-category')]
            .filter((c: any) => c.querySelector('.red-ui-palette-node[data-palette-type^="plantwire-"]'))
            .map((c: any) => c.querySelector('.red-ui-palette-header span').textContent.trim());
          // Open every category so that labels have a layout.
          for (const c of d.querySelectorAll('#red-ui-palette .red-ui-palette-content')) c.style.display = 'block';
          const entries: PaletteEntry[] = [...d.querySelectorAll('#red-ui-palette .red-ui-palette-node[data-palette-type^="plantwire-"]')].map((n: any) => {
            const room = clearance;
            const label = n.querySelector('.red-ui-palette-label');
            const icon = n.querySelector('.red-ui-palette-icon-container');
            const range = d.createRange();
            range.selectNodeContents(label);
            const text = range.getBoundingClientRect();
            const box = n.getBoundingClientRect();
            const ic = icon.getBoundingClientRect();
            const lines = label.querySelectorAll('br').length + 1;
            let overflow = '';
            // The label sits on the side of the node away from the icon.
            const free = ic.left - box.left > box.right - ic.right ? { left: box.left, right: ic.left } : { left: ic.right, right: box.right };
            // A port on the label's side reaches into the node: the label keeps its distance from the port too.
            for (const port of n.querySelectorAll('.red-ui-palette-port')) {
              const p = port.getBoundingClientRect();
              if (p.right > free.left && p.left < free.left + 10) free.left = Math.max(free.left, p.right);
              if (p.left < free.right && p.right > free.right - 10) free.right = Math.min(free.right, p.left);
            }
            if (text.left - free.left < room || free.right - text.right < room) overflow = `text ${Math.round(text.width)} px in ${Math.round(free.right - free.left)} px beside the icon and ports: less than ${room} px to spare on a side`;
            return { type: n.getAttribute('data-palette-type'), label: n.getAttribute('data-palette-label'), lines, overflow };
          });
          return { headers, entries };
        }, CLEARANCE_PX);
        expect(found.headers, 'category order').toEqual([...names]);
        const problems: string[] = [];
        for (const e of found.entries as PaletteEntry[]) {
          if (e.lines > 1) problems.push(`${e.type} "${e.label}" wraps onto ${e.lines} lines`);
          if (e.overflow) problems.push(`${e.type} "${e.label}": ${e.overflow}`);
          if (e.label !== e.label.toLowerCase()) problems.push(`${e.type} "${e.label}" breaks the style (lower case, as Node-RED's own palette)`);
        }
        expect(problems).toEqual([]);
        expect((found.entries as PaletteEntry[]).length, 'every non-config node in the palette').toBe(TYPES.filter((t) => !/-(connection|db|device|broker|endpoint|server)$/.test(t)).length);
        expect(ed.consoleErrors).toEqual([]);
      } finally {
        await ed.close();
      }
    }, 120_000);
  }

  it('config nodes follow the same style', () => {
    const problems: string[] = [];
    for (const type of TYPES) {
      const src = fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'editor.ts'), 'utf8');
      const label = /paletteLabel: '([^']+)'/.exec(src)?.[1];
      if (!label) continue;
      if (label !== label.toLowerCase()) problems.push(`${type} "${label}"`);
    }
    expect(problems).toEqual([]);
  });
});

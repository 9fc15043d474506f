/**
 * The demo flow as a newcomer sees it after `npm start`, in a real Chromium at
 * 1600×1000 with the palette and the debug sidebar open:
 * - it fits: every node and its status inside the visible workspace, no scrolling;
 * - sections do not cross: no wire runs through a node or a section comment
 *   other than the two it connects;
 * - no status is hidden behind a node or another status;
 * - the debug sidebar does not fill up: over 25 s far fewer than its 100
 *   messages arrive (counts and live values are in node status; one sample
 *   stream at a low rate goes to the sidebar).
 * With PLANTWIRE_E2E_SCREENSHOTS=docs the screenshot becomes docs/img/editor-demo.png (README).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { chromiumCheck, openEditor, screenshotDir, type EditorSession } from '../helpers/browser';

const chrome = chromiumCheck();
const PASSWORD = 'demo-e2e-password';
const VIEWPORT = { width: 1600, height: 1000 };

interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

describe.skipIf(!chrome.available)('the demo flow in the editor at 1600×1000 (Chromium)', () => {
  let child: ChildProcess;
  let output = '';
  let workspace = '';
  let shots = '';
  let ed: EditorSession;
  let openedAt = 0;

  beforeAll(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-e2e-demo-'));
    shots = screenshotDir(PACKAGE_ROOT);
    child = spawn(
      process.execPath,
      [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), 'start', '--port', '0', '--opcua-port', '0', '--modbus-port', '0', '--erp-port', '0', '--smtp-port', '0', '--workspace', workspace],
      { cwd: PACKAGE_ROOT, env: { ...process.env, PLANTWIRE_ADMIN_USER: 'admin', PLANTWIRE_ADMIN_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const startedAt = Date.now();
    while (!/Plantwire is running: (http:\/\/127\.0\.0\.1:\d+)\//.test(output)) {
      if (child.exitCode !== null || Date.now() - startedAt > 90_000) throw new Error(`plantwire start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /Plantwire is running: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)![1]!;
    ed = await openEditor(url, 'admin', PASSWORD);
    await ed.page.setViewportSize(VIEWPORT);
    ed.page.setDefaultTimeout(30_000);
    await ed.page.evaluate(() => (globalThis as unknown as { RED: { sidebar: { show(tab: string): void } } }).RED.sidebar.show('debug'));
    await ed.page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group').first().waitFor({ state: 'visible' });
    openedAt = Date.now();
  }, 150_000);

  afterAll(async () => {
    await ed?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
    if (shots && process.env.PLANTWIRE_E2E_SCREENSHOTS !== 'docs') fs.rmSync(shots, { recursive: true, force: true });
  }, 30_000);

  it('every node and its status is inside the visible workspace (no scrolling at 1600×1000)', async () => {
    // Statuses appear once the nodes connect: wait for the OPC UA and Modbus ones.
    await expect.poll(async () => ed.page.locator('#red-ui-workspace-chart .red-ui-flow-node-status-label', { hasText: /tags/ }).count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const outside = await ed.page.locator('#red-ui-workspace-chart').evaluate((chart) => {
      const all = (sel: string) => {
        const l = chart.ownerDocument.querySelectorAll(sel);
        return Array.from({ length: l.length }, (_, i) => l.item(i)!);
      };
      const c = chart.getBoundingClientRect();
      const view = { left: c.left, top: c.top, right: c.left + chart.clientWidth, bottom: c.top + chart.clientHeight };
      const out: string[] = [];
      for (const g of all('#red-ui-workspace-chart g.red-ui-flow-node-group')) {
        const label = g.querySelector('.red-ui-flow-node-label')?.textContent?.trim() ?? g.id;
        // The node with its ports and button, and its status text.
        const parts = [g.getBoundingClientRect()];
        const status = g.querySelector('.red-ui-flow-node-status-label');
        if (status && status.textContent) parts.push(status.getBoundingClientRect());
        for (const b of parts) {
          if (b.width === 0) continue;
          if (b.left < view.left || b.top < view.top || b.right > view.right || b.bottom > view.bottom) out.push(`${label}: ${Math.round(b.left)},${Math.round(b.top)}–${Math.round(b.right)},${Math.round(b.bottom)} outside ${JSON.stringify(view)}`);
        }
      }
      return out;
    });
    expect(outside).toEqual([]);
  }, 60_000);

  it('sections do not cross: no wire runs through a node or comment other than its two ends', async () => {
    const crossings = await ed.page.locator('#red-ui-workspace-chart').evaluate((chart) => {
      const all = (sel: string) => {
        const l = chart.ownerDocument.querySelectorAll(sel);
        return Array.from({ length: l.length }, (_, i) => l.item(i)!);
      };
      type N = { id: string; type: string; name?: string; x: number; y: number; w: number; h: number; z: string };
      const RED = (globalThis as unknown as { RED: { workspaces: { active(): string }; nodes: { filterNodes(f: object): N[]; filterLinks(f: object): Array<{ source: N; target: N }> } } }).RED;
      const z = RED.workspaces.active();
      const nodes = RED.nodes.filterNodes({ z });
      const box = (n: N): Box => ({ x1: n.x - n.w / 2 + 2, y1: n.y - n.h / 2 + 2, x2: n.x + n.w / 2 - 2, y2: n.y + n.h / 2 - 2 });
      const found: string[] = [];
      for (const g of all('#red-ui-workspace-chart g.red-ui-flow-link')) {
        const link = (g as unknown as { __data__?: { source: N; target: N } }).__data__;
        const path = g.querySelector('path.red-ui-flow-link-line') as unknown as { getTotalLength(): number; getPointAtLength(d: number): { x: number; y: number } } | null;
        if (!link || !path || link.source.z !== z) continue;
        const len = path.getTotalLength();
        const hit = new Set<string>();
        for (let d = 0; d <= len; d += 4) {
          const p = path.getPointAtLength(d);
          for (const n of nodes) {
            if (n === link.source || n === link.target) continue;
            const b = box(n);
            if (p.x > b.x1 && p.x < b.x2 && p.y > b.y1 && p.y < b.y2) hit.add(`${n.type} "${n.name ?? ''}"`);
          }
        }
        if (hit.size) found.push(`wire ${link.source.name ?? link.source.id} → ${link.target.name ?? link.target.id} crosses ${[...hit].join(', ')}`);
      }
      return found;
      interface Box {
        x1: number;
        y1: number;
        x2: number;
        y2: number;
      }
    });
    expect(crossings).toEqual([]);
  });

  it('no status is hidden behind a node or another status', async () => {
    const hidden = await ed.page.locator('#red-ui-workspace-chart').evaluate((chart) => {
      const l = chart.ownerDocument.querySelectorAll('#red-ui-workspace-chart g.red-ui-flow-node-group');
      const groups = Array.from({ length: l.length }, (_, i) => l.item(i)!);
      type El = (typeof groups)[number];
      type Rect = ReturnType<El['getBoundingClientRect']>;
      const label = (g: El): string => g.querySelector('.red-ui-flow-node-label')?.textContent?.trim() ?? g.id;
      const bodies = groups.map((g) => g.querySelector('rect.red-ui-flow-node')?.getBoundingClientRect());
      const statuses = groups.map((g) => {
        const s = g.querySelector('.red-ui-flow-node-status-label');
        return s && s.textContent ? s.getBoundingClientRect() : undefined;
      });
      const meets = (a: Rect, b: Rect): boolean => a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;
      const out: string[] = [];
      statuses.forEach((s, i) => {
        if (!s || s.width === 0) return;
        groups.forEach((g, j) => {
          if (i === j) return;
          if (bodies[j] && meets(s, bodies[j]!)) out.push(`status of ${label(groups[i]!)} under the node ${label(g)}`);
          if (statuses[j] && j > i && meets(s, statuses[j]!)) out.push(`status of ${label(groups[i]!)} overlaps the status of ${label(g)}`);
        });
      });
      return out;
    });
    expect(hidden).toEqual([]);
  });

  it('the debug sidebar does not fill up: over 25 s well under its 100 messages; screenshot', async () => {
    const wait = 25_000 - (Date.now() - openedAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const count = await ed.page.locator('#red-ui-sidebar-content .red-ui-debug-msg').count();
    console.log(`debug sidebar: ${count} messages ${Math.round((Date.now() - openedAt) / 1000)} s after the editor opened`);
    expect(count, 'messages in the debug sidebar after 25 s').toBeLessThanOrEqual(20);
    expect(count, 'the sample stream reaches the sidebar').toBeGreaterThanOrEqual(2);
    // The palette shows Plantwire's categories (the others collapsed), as a newcomer looks for them.
    await ed.page.locator('#red-ui-palette .red-ui-component-footer button:has(i.fa-angle-double-up)').click();
    const headers = ed.page.locator('#red-ui-palette .red-ui-palette-header', { hasText: 'Plantwire' });
    for (let i = 0; i < (await headers.count()); i++) await headers.nth(i).click();
    await ed.page.mouse.move(1200, 940);
    await ed.page.screenshot({ path: path.join(shots, 'editor-demo.png') });
    expect(fs.statSync(path.join(shots, 'editor-demo.png')).size).toBeGreaterThan(10_000);
  }, 60_000);
});

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { withoutDashboard } from '../../src/host/workspace';
import { makeSample } from '../../src/model/sample';
import { ConditionEngine, conditionSample, conditionSettings, type ConditionConfig } from '../../src/transforms/condition';

type Node = { id: string; type: string; z?: string; wires?: string[][]; links?: string[] };
const demoText = fs.readFileSync(path.join(PACKAGE_ROOT, 'flows', 'demo.json'), 'utf8');
const demo = JSON.parse(demoText) as Node[];

describe('the demo and its plant dashboard', () => {
  it('the dashboard is its own tab at the end; OEE and alarms feed it; the mail and the SAP notification come from plantwire-alarm', () => {
    const tabs = demo.filter((n) => n.type === 'tab').map((n) => n.id);
    expect(tabs).toEqual(['pw-demo-tab', 'pw-dash-tab']);
    const firstDash = demo.findIndex((n) => n.id === 'pw-dash-tab');
    expect(demo.slice(firstDash).every((n) => n.z === 'pw-dash-tab' || n.z === undefined || n.id === 'pw-dash-tab'), 'dashboard nodes after the tab').toBe(true);
    expect(demo.some((n) => n.type === 'function'), 'no function nodes').toBe(false);
    const byId = new Map(demo.map((n) => [n.id, n]));
    expect(byId.get('pw-dash-oee')!.type).toBe('plantwire-oee');
    expect(byId.get('pw-demo-alarm-change')!.type).toBe('plantwire-alarm');
    // The mail and the ERP notification hang off the alarm node's events.
    const reach = (from: string, to: string, seen = new Set<string>()): boolean => {
      if (from === to) return true;
      if (seen.has(from)) return false;
      seen.add(from);
      const n = byId.get(from);
      const next = [...(n?.wires ?? []).flat(), ...(n?.type === 'link out' ? (n.links ?? []) : [])];
      return next.some((x) => reach(x, to, seen));
    };
    expect(reach('pw-demo-alarm-change', 'pw-demo-mail')).toBe(true);
    expect(reach('pw-demo-alarm-change', 'pw-demo-erp-notif')).toBe(true);
    expect(reach('pw-demo-sim', 'pw-dash-oee')).toBe(true);
    expect(reach('pw-demo-alarm-change', 'pw-dash-alarms')).toBe(true);
    expect(reach('pw-dash-alarms', 'pw-demo-alarm-change'), 'the acknowledge buttons reach the alarm node').toBe(true);
    expect(demo.filter((n) => n.type.startsWith('ui-')).length).toBeGreaterThan(5);
    expect(byId.get('pw-demo-cond')!.type).toBe('plantwire-condition');
    expect(reach('pw-demo-sim', 'pw-demo-cond')).toBe(true);
    expect(reach('pw-demo-cond', 'pw-demo-erp-cond')).toBe(true);
  });

  it("the condition node's SAP mapping turns a due-soon event into a notification the ERP accepts (Node-RED's JSONata)", async () => {
    const jsonata = createRequire(createRequire(require.resolve('node-red')).resolve('@node-red/util'))('jsonata') as (e: string) => { evaluate(x: unknown): Promise<Record<string, unknown>> };
    const node = demo.find((n) => n.id === 'pw-demo-erp-cond') as unknown as { mapping: string; sample: string; connection: string };
    expect(node.connection).toBe('pw-demo-erp-notif-conn');
    // A real due-soon event of the demo's condition node: 18,000 of 20,000 capper cycles.
    const cond = demo.find((n) => n.id === 'pw-demo-cond') as unknown as ConditionConfig;
    const engine = new ConditionEngine(conditionSettings(cond));
    const t0 = Date.UTC(2026, 0, 5, 8);
    engine.process([makeSample('Line1/Capper/CapCount', 100, { sourceTimestamp: t0 })], t0, false);
    const events = engine.process([makeSample('Line1/Capper/CapCount', 18_100, { sourceTimestamp: t0 + 1_800_000 })], t0 + 1_800_000, false);
    const due = events.find((e) => e.kind === 'due-soon');
    expect(due, JSON.stringify(events)).toBeDefined();
    const doc = await jsonata(node.mapping).evaluate({ payload: conditionSample(due!) });
    expect(doc).toEqual({ NotificationText: due!.summary, NotificationType: 'M1', MaintPriority: '2', TechnicalObject: 'LINE1-CAPPER', MaintNotifLongTextForEdit: due!.description });
    expect(doc.NotificationText).toMatch(/Line1 capper/);
    expect(String(doc.NotificationText).length).toBeLessThanOrEqual(40);
  });

  it('withoutDashboard leaves no ui-* node, no dashboard-tab node and no wire or link to a removed node', () => {
    const out = JSON.parse(withoutDashboard(demoText)) as Node[];
    const ids = new Set(out.map((n) => n.id));
    expect(out.some((n) => n.type.startsWith('ui-') || n.z === 'pw-dash-tab' || n.id === 'pw-dash-tab')).toBe(false);
    for (const n of out) {
      for (const id of (n.wires ?? []).flat()) expect(ids.has(id), `${n.id} → ${id}`).toBe(true);
      for (const id of n.links ?? []) expect(ids.has(id), `${n.id} links ${id}`).toBe(true);
    }
    // Everything of the demo tab stays, but the links that only led to the dashboard.
    const mainIds = demo.filter((n) => (n.z === 'pw-demo-tab' || n.id === 'pw-demo-tab' || (n.z === undefined && !n.type.startsWith('ui-') && n.type !== 'tab')) && !n.type.startsWith('link')).map((n) => n.id);
    expect(mainIds.filter((id) => !ids.has(id))).toEqual([]);
    expect(withoutDashboard(withoutDashboard(demoText))).toBe(withoutDashboard(demoText));
  });
});

/**
 * The ISA-18.2 alarm state machine (src/transforms/alarm.ts): every
 * transition of the standard's state diagram with delays and deadband, the
 * alarm types, the alarm-rate figures, and property-based invariants.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSample, type Quality, type SampleValue, type TagSample } from '../../src/model/sample';
import { AlarmEngine, alarmSettings, readCommand, type AlarmConfig, type AlarmEvent, type AlarmStateName } from '../../src/transforms/alarm';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const at = (s: number): number => T0 + s * 1000;
const sample = (tag: string, value: SampleValue, s: number, quality: Quality = 'good'): TagSample => makeSample(tag, value, { sourceTimestamp: at(s), quality, unit: '°C', asset: 'acme/line1' });
const engine = (config: AlarmConfig): AlarmEngine => new AlarmEngine(alarmSettings(config));
/** The transitions of the events, compact: `transition:previous→state`. */
const trail = (events: AlarmEvent[]): string[] => events.map((e) => `${e.transition}:${e.previous}→${e.state}`);

describe('alarm settings', () => {
  it('reads rules from the dialog (numbers as strings) and names the faulty field', () => {
    const s = alarmSettings({ rules: [{ tag: 'T', kind: 'HH', limit: '90', deadband: '1', onDelay: '2', priority: 'high' }] });
    expect(s.rules[0]).toMatchObject({ id: 'T:HH', kind: 'HH', limit: 90, deadband: 1, onDelayMs: 2000, offDelayMs: 0, priority: 'high', suppressible: true });
    expect(s).toMatchObject({ floodThreshold: 10, shelveMs: 3_600_000, maxShelveMs: 86_400_000 });
    expect(() => alarmSettings({ rules: [] })).toThrow(/no alarms defined/);
    expect(() => alarmSettings({ rules: [{ tag: '', kind: 'H', limit: 1 }] })).toThrow(/alarm 1: the tag is empty/);
    expect(() => alarmSettings({ rules: [{ tag: 'T', kind: 'HIGH', limit: 1 }] })).toThrow(/type must be one of HH, H, L, LL/);
    expect(() => alarmSettings({ rules: [{ tag: 'T', kind: 'H', limit: 'x' }] })).toThrow(/alarm 1 \(T H\) limit must be a number, got "x"/);
    expect(() => alarmSettings({ rules: [{ tag: 'T', kind: 'roc', limit: 1, deadband: 1 }] })).toThrow(/deadband \(1\) must be below the limit/);
    expect(() => alarmSettings({ rules: [{ tag: 'T', kind: 'deviation', limit: 2 }] })).toThrow(/setpoint must be a number/);
    expect(() => alarmSettings({ rules: [{ tag: 'T', kind: 'H', limit: 1 }, { tag: 'T', kind: 'H', limit: 2 }] })).toThrow(/two alarms have the id "T:H"/);
    expect(() => alarmSettings({ rules: [{ tag: 'T', kind: 'H', limit: 1, priority: 'urgent' }] })).toThrow(/priority must be one of/);
    expect(() => alarmSettings({ rules: [{ tag: 'T', kind: 'H', limit: 1 }], suppressTag: 'S', suppressValues: '' })).toThrow(/machine states that mean stopped/);
    expect(() => alarmSettings({ rules: [{ tag: 'T', kind: 'H', limit: 1 }], shelveMinutes: 100, maxShelveMinutes: 50 })).toThrow(/longer than the longest shelve/);
  });
});

describe('ISA-18.2 transitions with delays and deadband (one H alarm: limit 80, deadband 2, on-delay 5 s, off-delay 3 s)', () => {
  const config: AlarmConfig = {
    rules: [
      { tag: 'T', kind: 'H', limit: 80, deadband: 2, onDelay: 5, offDelay: 3, priority: 'high', message: 'too hot' },
      { tag: 'T', kind: 'HH', limit: 200, name: 'estop-like', suppressible: false },
    ],
    suppressTag: 'State',
    suppressValues: 'Idle, Maintenance',
  };
  const ID = 'T:H';

  it('walks NORM → UNACK → ACKED → NORM, UNACK → RTNUN → NORM, RTNUN → UNACK, shelving with expiry, suppression while stopped, out of service', () => {
    const e = engine(config);
    const feed = (v: SampleValue, s: number): string[] => trail(e.process([sample('T', v, s)], at(s)));
    const state = (): AlarmStateName | undefined => e.stateOf(ID);

    // On-delay: 81 at t=1 starts it; a dip below limit − deadband (77 < 78) at t=3 cancels it.
    expect(feed(70, 0)).toEqual([]);
    expect(feed(81, 1)).toEqual([]);
    expect(feed(77, 3)).toEqual([]);
    expect(feed(81, 4)).toEqual([]);
    expect(feed(82, 8)).toEqual([]); // 4 s < 5 s
    const raise = e.process([sample('T', 82, 9)], at(9));
    expect(trail(raise)).toEqual(['activate:NORM→UNACK']);
    expect(raise[0]).toMatchObject({ id: ID, tag: 'T', kind: 'H', priority: 'high', message: 'too hot', active: true, acknowledged: false, value: 82, limit: 80, deadband: 2, time: new Date(at(9)).toISOString() });
    expect(raise[0]!.sample).toMatchObject({ tag: 'T', value: 82 });

    // Deadband: 79 stays active (≥ 78); 77.9 starts the off-delay; 79 is still "returned" (re-entry needs ≥ 80).
    expect(feed(79, 10)).toEqual([]);
    expect(feed(77.9, 11)).toEqual([]);
    expect(feed(79, 12)).toEqual([]);
    expect(feed(79, 14)).toEqual(['return:UNACK→RTNUN']);
    expect(state()).toBe('RTNUN');

    // Acknowledge AFTER the return to normal: RTNUN → NORM.
    const ack1 = e.command({ command: 'ack', alarm: ID, user: 'op1', comment: 'seen' }, at(15));
    expect(trail(ack1)).toEqual(['acknowledge:RTNUN→NORM']);
    expect(ack1[0]).toMatchObject({ user: 'op1', comment: 'seen', acknowledged: true, active: false });
    expect(trail(e.command({ command: 'ack', alarm: ID }, at(15))), 'acknowledging a normal alarm changes nothing').toEqual([]);

    // The on-delay runs out while no sample comes: the timer (advance) raises it.
    expect(feed(85, 20)).toEqual([]);
    expect(trail(e.advance(at(24)))).toEqual([]);
    const timed = e.advance(at(25));
    expect(trail(timed)).toEqual(['activate:NORM→UNACK']);
    expect(timed[0]!.time).toBe(new Date(at(25)).toISOString());
    expect(e.nextDueAt()).toBe(Infinity);

    // Acknowledge BEFORE the return: UNACK → ACKED → (return) NORM.
    expect(trail(e.command({ command: 'acknowledge', alarm: 'T' }, at(26)))).toEqual(['acknowledge:UNACK→ACKED']);
    expect(feed(70, 30)).toEqual([]);
    expect(e.nextDueAt()).toBe(at(33));
    expect(trail(e.advance(at(33)))).toEqual(['return:ACKED→NORM']);

    // RTNUN → UNACK: it comes back before anyone acknowledged.
    feed(90, 40);
    expect(trail(e.advance(at(45)))).toEqual(['activate:NORM→UNACK']);
    feed(70, 46);
    expect(trail(e.advance(at(49)))).toEqual(['return:UNACK→RTNUN']);
    feed(90, 50);
    expect(trail(e.advance(at(55)))).toEqual(['activate:RTNUN→UNACK']);

    // Shelve (1 min); the condition returns while shelved: silent; the shelve expires → NORM.
    const shelved = e.command({ command: 'shelve', alarm: ID, minutes: 1, user: 'op2' }, at(56));
    expect(trail(shelved)).toEqual(['shelve:UNACK→SHLVD']);
    expect(shelved[0]!.shelvedUntil).toBe(new Date(at(116)).toISOString());
    feed(70, 60);
    expect(trail(e.advance(at(63)))).toEqual([]);
    expect(state()).toBe('SHLVD');
    expect(e.nextDueAt()).toBe(at(116));
    expect(trail(e.advance(at(116)))).toEqual(['shelve-expired:SHLVD→NORM']);

    // Shelved while it becomes active: expiry annunciates it (→ UNACK); unshelving by hand too.
    feed(90, 120);
    expect(trail(e.command({ command: 'shelve', alarm: ID, minutes: 1 }, at(121)))).toEqual(['shelve:NORM→SHLVD']);
    expect(trail(e.advance(at(125))), 'raised while shelved: not annunciated').toEqual([]);
    expect(trail(e.advance(at(181)))).toEqual(['shelve-expired:SHLVD→UNACK']);
    expect(trail(e.command({ command: 'shelve', alarm: ID }, at(182)))).toEqual(['shelve:UNACK→SHLVD']);
    expect(trail(e.command({ command: 'unshelve', alarm: ID }, at(183)))).toEqual(['unshelve:SHLVD→UNACK']);
    expect(() => e.command({ command: 'shelve', alarm: ID, minutes: 2000 }, at(184))).toThrow(/at most 1440 minutes/);

    // Suppression by design while the machine state says stopped; a non-suppressible alarm stays in service.
    expect(trail(e.process([sample('State', 'Idle', 200)], at(200)))).toEqual(['suppress:UNACK→DSUPR']);
    expect(e.stateOf('estop-like')).toBe('NORM');
    feed(70, 201);
    expect(trail(e.advance(at(204)))).toEqual([]);
    expect(trail(e.process([sample('State', 'Maintenance', 205)], at(205))), 'another stopped state: nothing changes').toEqual([]);
    expect(trail(e.process([sample('State', 'Running', 210)], at(210)))).toEqual(['unsuppress:DSUPR→NORM']);
    e.process([sample('State', 'Idle', 220)], at(220));
    feed(90, 221);
    expect(trail(e.advance(at(226))), 'active while suppressed: silent').toEqual([]);
    expect(trail(e.process([sample('State', 'Running', 230)], at(230)))).toEqual(['unsuppress:DSUPR→UNACK']);

    // Out of service and back.
    expect(trail(e.command({ command: 'out-of-service', alarm: ID }, at(240)))).toEqual(['remove-from-service:UNACK→OOSRV']);
    feed(70, 241);
    expect(trail(e.advance(at(244)))).toEqual([]);
    expect(trail(e.command({ command: 'shelve', alarm: ID }, at(245))), 'out of service cannot be shelved').toEqual([]);
    expect(trail(e.command({ command: 'in-service', alarm: ID }, at(250)))).toEqual(['return-to-service:OOSRV→NORM']);

    // Bad quality changes nothing; unknown alarms are an error.
    expect(trail(e.process([sample('T', 500, 260, 'bad')], at(260)))).toEqual([]);
    expect(e.badQuality).toBe(1);
    expect(() => e.command({ command: 'ack', alarm: 'nope' }, at(261))).toThrow(/no alarm "nope"/);
  });

  it('a bad sample rejects the whole batch and changes nothing', () => {
    const e = engine(config);
    expect(() => e.process([sample('T', 95, 0), sample('T', 'hot', 1)], at(1))).toThrow(/payload\[1\]\.value must be a number for the H alarm T:H, got "hot"/);
    e.advance(at(100));
    expect(e.stateOf(ID)).toBe('NORM');
    expect(() => e.process([sample('T', '95', 0)], at(1), false)).toThrow(/numeric string — convert it first/);
  });
});

describe('alarm types', () => {
  it('L and LL with deadband', () => {
    const e = engine({ rules: [{ tag: 'P', kind: 'L', limit: 10, deadband: 1 }, { tag: 'P', kind: 'LL', limit: 5 }] });
    const run = (v: number, s: number): string[] => e.process([sample('P', v, s)], at(s)).map((x) => `${x.id}:${x.transition}`);
    expect(run(12, 0)).toEqual([]);
    expect(run(10, 1)).toEqual(['P:L:activate']);
    expect(run(4, 2)).toEqual(['P:LL:activate']);
    expect(run(10.5, 3)).toEqual(['P:LL:return']);
    expect(run(11.2, 4)).toEqual(['P:L:return']);
  });

  it('deviation from a fixed setpoint and from a setpoint tag', () => {
    const e = engine({ rules: [{ tag: 'PV', kind: 'deviation', limit: 5, deadband: 1, setpointTag: 'SP' }, { tag: 'PV2', kind: 'deviation', limit: 2, setpoint: 50 }] });
    expect(e.process([sample('PV', 100, 0)], at(0))).toEqual([]); // no setpoint known yet
    e.process([sample('SP', 90, 1)], at(1));
    const ev = e.process([sample('PV', 96, 2)], at(2));
    expect(ev.map((x) => x.transition)).toEqual(['activate']);
    expect(ev[0]).toMatchObject({ setpoint: 90, limit: 5 });
    expect(e.process([sample('PV', 94.5, 3)], at(3))).toEqual([]); // 4.5 ≥ 5 − 1
    expect(e.process([sample('PV', 93.9, 4)], at(4)).map((x) => x.transition)).toEqual(['return']);
    expect(e.process([sample('PV2', 47.9, 5)], at(5)).map((x) => x.transition)).toEqual(['activate']);
    expect(() => e.process([sample('SP', 'x', 6)], at(6))).toThrow(/SP is a setpoint tag/);
  });

  it('rate of change per second from the sample timestamps', () => {
    const e = engine({ rules: [{ tag: 'L', kind: 'roc', limit: 2, deadband: 0.5 }] });
    expect(e.process([sample('L', 10, 0)], at(0))).toEqual([]);
    expect(e.process([sample('L', 11, 1)], at(1))).toEqual([]); // 1/s
    expect(e.process([sample('L', 16, 3)], at(3)).map((x) => x.transition)).toEqual(['activate']); // 2.5/s
    expect(e.process([sample('L', 17.6, 4)], at(4))).toEqual([]); // 1.6/s ≥ 1.5
    expect(e.process([sample('L', 18, 5)], at(5)).map((x) => x.transition)).toEqual(['return']); // 0.4/s
  });

  it('discrete alarms on booleans and state names', () => {
    const e = engine({ rules: [{ tag: 'Jam', kind: 'discrete', values: 'true' }, { tag: 'Mode', kind: 'discrete', values: 'Fault, E-Stop', priority: 'critical' }] });
    expect(e.process([sample('Jam', true, 0)], at(0)).map((x) => x.id)).toEqual(['Jam:discrete']);
    expect(e.process([sample('Mode', 'Running', 1), sample('Mode', 'E-Stop', 2)], at(2)).map((x) => `${x.priority}:${x.value}`)).toEqual(['critical:E-Stop']);
    expect(e.process([sample('Jam', false, 3)], at(3)).map((x) => x.transition)).toEqual(['return']);
  });
});

describe('alarm rate (ISA-18.2 / EEMUA 191)', () => {
  it('counts annunciations per 10 min, detects a flood above the threshold and its end below half, chattering and the top alarms', () => {
    const rules = Array.from({ length: 12 }, (_, i) => ({ tag: `A${i}`, kind: 'discrete', values: 'true' }));
    const e = engine({ rules, floodThreshold: 10 });
    for (let i = 0; i < 10; i++) e.process([sample(`A${i}`, true, i * 10)], at(i * 10));
    expect(e.updateFlood(at(100))).toBe(false);
    expect(e.rate(at(100))).toMatchObject({ alarms: 10, flood: false, active: 10, unacknowledged: 10 });
    e.process([sample('A10', true, 110)], at(110));
    expect(e.updateFlood(at(110))).toBe(true);
    expect(e.rate(at(110))).toMatchObject({ alarms: 11, flood: true, peakPer10Min: 11, totalAnnunciated: 11 });
    // A0 chatters: 3 annunciations within 60 s.
    for (const s of [120, 140, 160]) {
      e.process([sample('A0', false, s)], at(s));
      e.process([sample('A0', true, s + 5)], at(s + 5));
    }
    const r = e.rate(at(170));
    expect(r.chattering).toEqual(['A0:discrete']);
    expect(r.top[0]).toEqual({ id: 'A0:discrete', count: 4, share: 28.6 });
    // Ten minutes after the last annunciation the window is empty and the flood has ended.
    expect(e.updateFlood(at(170 + 600))).toBe(true);
    const later = e.rate(at(770));
    expect(later).toMatchObject({ alarms: 0, flood: false, totalAnnunciated: 14, chattering: [] });
    expect(later.floodPercent).toBeCloseTo((100 * (770 - 110)) / 770, 1);
    expect(later.averagePer10Min).toBeCloseTo((14 * 600) / 770, 2);
  });
});

describe('commands from messages', () => {
  it('reads commands and refuses malformed ones', () => {
    expect(readCommand({ tag: 'x', value: 1 })).toBeNull();
    expect(readCommand({ command: 'shelve', alarm: 'T:H', minutes: 5, user: 'op' })).toEqual({ command: 'shelve', alarm: 'T:H', minutes: 5, user: 'op' });
    expect(() => readCommand({ command: 'silence' })).toThrow(/payload.command must be one of/);
    expect(() => readCommand({ command: 'ack', alarm: 5 })).toThrow(/payload.alarm must be/);
    expect(() => readCommand({ command: 'shelve', alarm: 'x', minutes: 'ten' })).toThrow(/payload.minutes must be a number/);
  });
});

describe('properties (fast-check)', () => {
  const cfg: AlarmConfig = {
    rules: [
      { tag: 'T', kind: 'H', limit: 50, deadband: 5, onDelay: 2, offDelay: 1 },
      { tag: 'T', kind: 'LL', limit: 10, deadband: 2 },
      { tag: 'D', kind: 'discrete', values: 'true', offDelay: 3 },
    ],
    suppressTag: 'S',
    suppressValues: 'stop',
  };
  type Step = { k: 'T'; v: number } | { k: 'D'; v: boolean } | { k: 'S'; v: string } | { k: 'cmd'; c: string; a: string } | { k: 'adv' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ k: fc.constant('T' as const), v: fc.integer({ min: -10, max: 100 }) }),
    fc.record({ k: fc.constant('D' as const), v: fc.boolean() }),
    fc.record({ k: fc.constant('S' as const), v: fc.constantFrom('run', 'stop') }),
    fc.record({ k: fc.constant('cmd' as const), c: fc.constantFrom('ack', 'shelve', 'unshelve', 'out-of-service', 'in-service'), a: fc.constantFrom('T:H', 'T:LL', 'D:discrete', '*', 'T') }),
    fc.record({ k: fc.constant('adv' as const) }),
  );
  const apply = (e: AlarmEngine, st: Step, s: number): AlarmEvent[] => {
    if (st.k === 'cmd') return e.command({ command: st.c, alarm: st.a, minutes: 1 }, at(s));
    if (st.k === 'adv') return e.advance(at(s));
    return e.process([sample(st.k, st.v, s)], at(s));
  };

  it('every event starts where the previous one of its alarm ended, and states agree with active/acknowledged', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 80, maxLength: 80 }), (steps, gaps) => {
        const e = engine(cfg);
        const last = new Map<string, AlarmStateName>();
        let s = 0;
        steps.forEach((st, i) => {
          s += gaps[i]!;
          for (const ev of apply(e, st, s)) {
            expect(ev.previous).toBe(last.get(ev.id) ?? 'NORM');
            // Only a change hidden under a state of higher precedence (e.g. shelving while suppressed) keeps the shown state.
            if (ev.previous === ev.state) expect(['shelve', 'unshelve', 'shelve-expired', 'unsuppress']).toContain(ev.transition);
            last.set(ev.id, ev.state);
            if (ev.state === 'UNACK') expect([ev.active, ev.acknowledged]).toEqual([true, false]);
            if (ev.state === 'ACKED') expect([ev.active, ev.acknowledged]).toEqual([true, true]);
            if (ev.state === 'RTNUN') expect([ev.active, ev.acknowledged]).toEqual([false, false]);
            if (ev.state === 'NORM') expect(ev.active).toBe(false);
          }
          for (const v of e.list()) expect(v.state).toBe(last.get(v.id) ?? 'NORM');
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a snapshot restored into a new engine (a restart) continues exactly like the original', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.array(step, { maxLength: 40 }), (before, after) => {
        const a = engine(cfg);
        let s = 0;
        for (const st of before) apply(a, st, (s += 7));
        const b = engine(cfg);
        b.restore(JSON.parse(JSON.stringify(a.snapshot())));
        let t = s;
        for (const st of after) {
          t += 7;
          expect(apply(b, st, t)).toEqual(apply(a, st, t));
        }
        expect(b.list()).toEqual(a.list());
        expect(b.rate(at(t + 1))).toEqual(a.rate(at(t + 1)));
      }),
      { numRuns: 200 },
    );
  });

  it('a batch gives the same events as its samples one by one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -10, max: 100 }), { minLength: 1, maxLength: 60 }), (values) => {
        const one = engine(cfg);
        const many = engine(cfg);
        const samples = values.map((v, i) => sample('T', v, i));
        const single = samples.flatMap((x, i) => one.process([x], at(i)));
        expect(many.process(samples, at(values.length - 1)).map((e) => [e.id, e.transition, e.value])).toEqual(single.map((e) => [e.id, e.transition, e.value]));
      }),
    );
  });

  it('without delays or deadband an H alarm is active exactly while value ≥ limit', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (values, limit) => {
        const e = engine({ rules: [{ tag: 'X', kind: 'H', limit }] });
        values.forEach((v, i) => {
          e.process([sample('X', v, i)], at(i));
          expect(e.list()[0]!.active).toBe(v >= limit);
        });
      }),
    );
  });
});

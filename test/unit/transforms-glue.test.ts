import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeSample } from '../../src/model/sample';
import { LiveStatus } from '../../src/runtime/live-status';
import { propertySetting } from '../../src/runtime/red-util';
import { derivedMessages, freshMessages, outputMode, sendSeparately } from '../../src/transforms/messages';
import { TagTable } from '../../src/transforms/tag-table';
import { fakeNode } from '../helpers/fake-node';

const s1 = makeSample('a', 1, { sourceTimestamp: 0 });
const s2 = makeSample('b', 2, { sourceTimestamp: 0 });

describe('LiveStatus', () => {
  afterEach(() => vi.useRealTimers());

  it('shows at most one update per interval, the latest text last', () => {
    vi.useFakeTimers();
    const node = fakeNode();
    const st = new LiveStatus(node, 1000, 3000);
    st.update('ok', '1 done');
    st.update('ok', '2 done');
    st.update('ok', '3 done');
    expect(node.statuses.map((x) => x.text)).toEqual(['1 done']);
    vi.advanceTimersByTime(1000);
    expect(node.statuses.map((x) => x.text)).toEqual(['1 done', '3 done']);
  });

  it('keeps a failure visible for the hold time, then shows the failure count', () => {
    vi.useFakeTimers();
    const node = fakeNode();
    const st = new LiveStatus(node, 1000, 3000);
    st.update('ok', 'fine');
    node.status({ fill: 'red', shape: 'ring', text: 'value is not a number' }); // what onInput does
    st.failed();
    st.update('ok', 'fine again');
    vi.advanceTimersByTime(2900);
    expect(node.statuses.at(-1)!.text).toBe('value is not a number');
    vi.advanceTimersByTime(200);
    expect(node.statuses.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'fine again · 1 failed' });
  });

  it('cancel stops a pending update (node close)', () => {
    vi.useFakeTimers();
    const node = fakeNode();
    const st = new LiveStatus(node, 1000);
    st.update('ok', 'a');
    st.update('ok', 'b');
    st.cancel();
    vi.advanceTimersByTime(5000);
    expect(node.statuses.map((x) => x.text)).toEqual(['a']);
  });
});

describe('transform messages', () => {
  it('one sample: the input message with payload and topic replaced', () => {
    const msg = { payload: 5, topic: 'x', _msgid: 'm1', keep: true };
    const [out] = derivedMessages(msg, [s1], 'each');
    expect(out).toBe(msg);
    expect(out).toMatchObject({ payload: s1, topic: 'a', keep: true, _msgid: 'm1' });
  });

  it('several samples: one message each (copies keep other properties) or one batch', () => {
    const each = derivedMessages({ payload: [], topic: 'plc', keep: 1 }, [s1, s2], 'each');
    expect(each.map((m) => [m.topic, m.payload, m.keep])).toEqual([
      ['a', s1, 1],
      ['b', s2, 1],
    ]);
    const batch = derivedMessages({ payload: [], topic: 'plc' }, [s1, s2], 'batch', { heartbeat: true });
    expect(batch).toEqual([{ payload: [s1, s2], topic: 'plc', heartbeat: true }]);
    expect(derivedMessages({ payload: 1 }, [], 'each')).toEqual([]);
    expect(freshMessages([s1, s2], 'batch', 'w')).toEqual([{ topic: 'w', payload: [s1, s2] }]);
    expect(freshMessages([s1], 'each', 'w', { late: 1 })).toEqual([{ topic: 'a', payload: s1, late: 1 }]);
  });

  it('sendSeparately: one send call per message, on its port (Node-RED would deep-clone all but the first of one call)', () => {
    const calls: unknown[] = [];
    const m1 = { payload: 1 };
    const m2 = { payload: 2 };
    const m3 = { payload: 3 };
    sendSeparately((m) => calls.push(m), [[m1, m2], null]);
    sendSeparately((m) => calls.push(m), [null, [m3]]);
    sendSeparately((m) => calls.push(m), [[m3]]);
    expect(calls).toEqual([[m1, null], [m2, null], [null, m3], m3]);
    expect((calls[0] as unknown[])[0]).toBe(m1);
  });

  it('settings helpers refuse unknown values', () => {
    expect(outputMode('', 'batch')).toBe('batch');
    expect(() => outputMode('some')).toThrow(/output must be "each" or "batch", got "some"/);
    expect(propertySetting('msg.payload.record', 'property')).toBe('payload.record');
    expect(propertySetting('', 'property')).toBe('payload');
    expect(() => propertySetting('payload..x', 'property')).toThrow(/property "payload..x" is not a message property path/);
  });

  it('TagTable refuses new tags beyond its limit and counts them', () => {
    const t = new TagTable<number>(2);
    expect(t.add('a', 1)).toBe(true);
    expect(t.add('b', 2)).toBe(true);
    expect(t.add('c', 3)).toBe(false);
    expect(t.add('a', 4), 'an existing tag can be updated').toBe(true);
    expect([t.size, t.refused, t.full, t.get('a')]).toEqual([2, 1, true, 4]);
    expect(() => new TagTable(0)).toThrow(/max tags must be a whole number ≥ 1/);
  });
});

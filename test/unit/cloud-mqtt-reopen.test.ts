/**
 * An MQTT cloud target (AWS IoT / Azure IoT base class) whose connection
 * renewal fails keeps re-opening on the shared backoff until it works —
 * before, it retried once after 5 s and then never again until a redeploy.
 * Real MQTT on loopback: an embedded aedes broker the test controls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttCloudTarget, type MqttPublish } from '../../src/connectors/cloud/mqtt-target';
import type { CloudKind, CloudRecord } from '../../src/connectors/cloud/types';
import { brokerSettings, type BrokerSettings } from '../../src/connectors/mqtt/options';
import { makeSample } from '../../src/model/sample';
import { startAedes, until, type EmbeddedBroker } from '../helpers/mqtt';

class FlakyTarget extends MqttCloudTarget {
  readonly kind = 'aws-iot' as CloudKind;
  calls = 0;
  renewals = true;
  constructor(
    private readonly url: string,
    /** brokerSettings() calls (1-based) that throw, as a token service that is down would. */
    private readonly failing: Set<number>,
  ) {
    super(2000, { initialMs: 10, maxMs: 40 });
  }
  protected brokerSettings(): BrokerSettings {
    this.calls += 1;
    if (this.failing.has(this.calls)) throw new Error(`token service down (call ${this.calls})`);
    return brokerSettings({ url: this.url, clientId: `reopen-${process.pid}-${this.calls}` });
  }
  protected toPublish(record: CloudRecord): MqttPublish {
    return { topic: 'reopen/test', payload: JSON.stringify(record) };
  }
  protected override renewAfterMs(): number | null {
    // Renew once (after 150 ms); the connection that finally opens is kept.
    return this.calls === 1 ? 150 : null;
  }
}

describe('MQTT cloud target: failed renewals are retried with backoff until they work', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('five failed re-opens in a row, then connected and delivering again', async () => {
    const got: string[] = [];
    await broker.tap('reopen/test', (_t, p) => got.push(p.toString()));
    const target = new FlakyTarget(broker.url, new Set([2, 3, 4, 5, 6]));
    const states: string[] = [];
    target.onState((s) => states.push(`${s.state}: ${s.text}`));
    await target.start();
    await until(() => target.calls >= 7 && target.connection?.connected === true, 'the 7th brokerSettings() call and a connection');
    expect(states.filter((s) => s.includes('token service down')).length, states.join('\n')).toBeGreaterThanOrEqual(5);
    const record: CloudRecord = { key: 'k1', ts: Date.now(), body: makeSample('Line1/Temp', 21.5) };
    await target.deliver([record]);
    await until(() => got.length === 1, 'the publish at the broker');
    await target.close();
    const after = target.calls;
    await new Promise((r) => setTimeout(r, 100));
    expect(target.calls, 'nothing re-opens after close').toBe(after);
  });

  it('close stops a pending re-open', async () => {
    const target = new FlakyTarget(broker.url, new Set(Array.from({ length: 1000 }, (_, i) => i + 2)));
    await target.start();
    await until(() => target.calls >= 3, 'two failed re-opens');
    await target.close();
    const after = target.calls;
    await new Promise((r) => setTimeout(r, 120));
    expect(target.calls).toBe(after);
    expect(target.connection).toBeNull();
  });
});

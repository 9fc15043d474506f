/**
 * A Sparkplug B host application with a host id (spec 3.0 §7.1): its own MQTT
 * connection whose will is `spBv1.0/STATE/<host id>` = {"online":false,…}
 * (retained, QoS 1); after every connect it first makes sure its
 * subscriptions are in place (SUBACK), then publishes STATE
 * {"online":true,"timestamp":T} retained — so edge nodes that wait for their
 * primary host publish their BIRTH only when the host surely receives it.
 * A clean stop publishes STATE offline itself.
 */
import { EventEmitter } from 'node:events';
import { toError } from '../../../model/errors';
import { MqttConnection } from '../connection';
import type { BrokerSettings } from '../options';
import { stateTopic } from './topic';

export function statePayload(online: boolean, timestamp: number): Buffer {
  return Buffer.from(JSON.stringify({ online, timestamp }));
}

export class HostSession extends EventEmitter {
  readonly conn: MqttConnection;
  readonly hostId: string;
  private stamp = Date.now();
  private stopped = false;

  constructor(settings: BrokerSettings, hostId: string) {
    super();
    this.on('error', () => undefined);
    this.hostId = hostId;
    const baseId = String(settings.options.clientId ?? '');
    const extra: Record<string, unknown> = {
      clean: true,
      clientId: `${baseId}_${hostId}`.slice(0, 64),
      will: this.will(),
    };
    if (settings.options.protocolVersion === 5) extra.properties = { ...(settings.options.properties ?? {}), sessionExpiryInterval: 0 };
    this.conn = new MqttConnection(settings, extra);
    this.conn.on('connect', () => {
      this.conn
        .resubscribeAll()
        .then(() => this.conn.publish(stateTopic(this.hostId), statePayload(true, this.stamp), { qos: 1, retain: true }))
        .then(
          () => this.emit('online'),
          (err: unknown) => this.emit('warning', `could not announce host ${this.hostId} online: ${toError(err).message}`),
        );
    });
    this.conn.on('disconnect', () => {
      if (this.stopped) return;
      // The broker sent this session's will; the next session gets a new timestamp.
      this.stamp = Date.now();
      this.conn.setWill(this.will());
    });
  }

  async start(): Promise<void> {
    await this.conn.open();
  }

  /** Publishes STATE offline (the clean disconnect drops the will), then disconnects. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.conn.connected) {
      await Promise.race([
        this.conn.publish(stateTopic(this.hostId), statePayload(false, this.stamp), { qos: 1, retain: true }).catch(() => undefined),
        new Promise((r) => setTimeout(r, 2000).unref?.()),
      ]);
    }
    await this.conn.end(false);
  }

  private will(): { topic: string; payload: Buffer; qos: 1; retain: boolean } {
    return { topic: stateTopic(this.hostId), payload: statePayload(false, this.stamp), qos: 1, retain: true };
  }
}

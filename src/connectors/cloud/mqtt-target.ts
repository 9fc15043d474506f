/**
 * What the two MQTT cloud front doors (AWS IoT Core, Azure IoT Hub) share:
 * one MQTT-over-TLS connection (src/connectors/mqtt's MqttConnection, so the
 * reconnect loop and the readable TLS/CONNACK error texts are the same as the
 * plain MQTT nodes'), QoS 1 publishes, and `deliver` resolving only once
 * every PUBACK arrived. A subclass says which topic and payload a record
 * becomes and may renew the connection (Azure: a fresh SAS token).
 */
import { EventEmitter } from 'node:events';
import { MqttConnection, type MqttPhase, type PublishOptions, type StateEvent } from '../mqtt/connection';
import type { BrokerSettings } from '../mqtt/options';
import { Backoff, type BackoffOptions } from '../../model/backoff';
import { PlantwireError, toError } from '../../model/errors';
import type { CloudKind, CloudRecord, CloudState, CloudStateEvent, CloudTarget } from './types';

const STATE: Record<MqttPhase, CloudState> = {
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'connecting',
  offline: 'disconnected',
  error: 'error',
  closed: 'idle',
};

/** A delivery problem that retrying will not fix (the buffer dead-letters the batch). */
export class PermanentCloudError extends PlantwireError {
  readonly transient = false;
}

/** One MQTT publish a record becomes. */
export interface MqttPublish {
  topic: string;
  payload: string | Buffer;
  /** MQTT 5 publish properties (user properties, content type); ignored on MQTT 3.1.1 connections. */
  properties?: PublishOptions['properties'];
}

export abstract class MqttCloudTarget implements CloudTarget {
  abstract readonly kind: CloudKind;
  readonly batching = false;
  private conn: MqttConnection | null = null;
  private readonly events = new EventEmitter();
  private current: CloudStateEvent = { state: 'idle', text: 'not connected' };
  private closed = false;
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly reopenBackoff: Backoff;

  /**
   * @param waitMs how long `deliver` waits for a (re)connection before failing (retried by the buffer).
   * @param retry backoff for re-opening after a failed start or renewal (default 5 s doubling to 5 min).
   */
  constructor(
    private readonly waitMs: number,
    retry: BackoffOptions = { initialMs: 5000, maxMs: 300_000 },
  ) {
    this.events.setMaxListeners(0);
    this.reopenBackoff = new Backoff(retry);
  }

  /** Client options for the next connection (called on start and on every renewal). */
  protected abstract brokerSettings(): BrokerSettings;
  /** The MQTT publish a record becomes; throw PermanentCloudError for a record that can never be sent. */
  protected abstract toPublish(record: CloudRecord): MqttPublish;
  /** ms until the connection must be renewed (null: never). */
  protected renewAfterMs(): number | null {
    return null;
  }
  /** Called before each automatic reconnect; may update the client options (e.g. a fresh password). */
  protected beforeReconnect(_options: { password?: string | Buffer }): void {
    /* nothing by default */
  }

  get state(): CloudStateEvent {
    return this.current;
  }

  /** The connection (tests and status). */
  get connection(): MqttConnection | null {
    return this.conn;
  }

  onState(listener: (s: CloudStateEvent) => void): () => void {
    this.events.on('state', listener);
    return () => this.events.off('state', listener);
  }

  /** Connects (again after a close: the config node's users may come back after a partial redeploy). */
  async start(): Promise<void> {
    this.closed = false;
    if (this.conn) return;
    await this.openConnection();
  }

  async deliver(records: CloudRecord[], onPart?: (keys: string[]) => void, signal?: AbortSignal): Promise<void> {
    if (records.length === 0) return;
    // Every record is rendered first: one that can never be sent fails the batch before anything is published.
    const pubs = records.map((r) => this.toPublish(r));
    if (this.renewing) await this.renewing;
    const conn = this.conn;
    if (!conn || this.closed) throw new PlantwireError('cloud-closed', `${this.kind}: the connection is closed`, 'not connected');
    if (!conn.connected) {
      // Unreachable or refused: fail at once (the buffer keeps the records); only a connect in progress is waited for.
      if (conn.state.state === 'offline' || conn.state.state === 'error' || conn.state.state === 'closed') {
        throw new PlantwireError('cloud-offline', `${this.kind}: not connected (${conn.state.text})`, conn.state.text);
      }
      try {
        await conn.whenConnected(this.waitMs);
      } catch {
        throw new PlantwireError('cloud-offline', `${this.kind}: not connected (${conn.state.text})`, conn.state.text);
      }
    }
    // Aborted while waiting for the connection (timed out, the node stopping): nothing is published.
    const aborted = (): PlantwireError => new PlantwireError('cloud-aborted', `${this.kind}: delivery aborted (${toError(signal?.reason).message})`, 'aborted');
    if (signal?.aborted) throw aborted();
    // A connection lost meanwhile fails the batch at once: the buffer sends it again (at-least-once). So does an abort
    // (publishes already handed to the client may still be confirmed; their records are not settled any more).
    let onLost: ((s: StateEvent) => void) | undefined;
    let onAbort: (() => void) | undefined;
    const lost = new Promise<never>((_, reject) => {
      onLost = (s) => {
        if (s.state !== 'connected' && s.state !== 'connecting') reject(new PlantwireError('cloud-offline', `${this.kind}: ${s.text}`, s.text));
      };
      conn.on('state', onLost);
      onAbort = () => reject(aborted());
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    lost.catch(() => undefined);
    try {
      await Promise.race([lost, Promise.all(pubs.map((p, i) => conn.publish(p.topic, p.payload, p.properties ? { qos: 1, properties: p.properties } : { qos: 1 }).then(() => onPart?.([records[i]!.key]))))]);
    } finally {
      if (onLost) conn.off('state', onLost);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearRenew();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.renewing) await this.renewing.catch(() => undefined);
    const conn = this.conn;
    this.conn = null;
    if (conn) await conn.end();
    this.setState({ state: 'idle', text: 'disconnected' });
  }

  protected setState(s: CloudStateEvent): void {
    if (s.state === this.current.state && s.text === this.current.text) return;
    this.current = s;
    this.events.emit('state', s);
  }

  private async openConnection(): Promise<void> {
    const conn = new MqttConnection(this.brokerSettings());
    this.conn = conn;
    conn.on('state', (s: StateEvent) => {
      if (this.conn === conn) this.setState({ state: STATE[s.state], text: s.text });
    });
    try {
      await conn.open();
    } catch (err) {
      if (this.conn === conn) this.conn = null;
      throw err;
    }
    this.reopenBackoff.reset();
    // mqtt.js reads its options on each reconnect: refresh what must be fresh (the SAS token) just before.
    conn.raw?.on('reconnect', () => {
      if (conn.raw) this.beforeReconnect(conn.raw.options);
    });
    this.scheduleRenew();
  }

  private scheduleRenew(): void {
    this.clearRenew();
    const ms = this.renewAfterMs();
    if (ms === null || this.closed) return;
    this.renewTimer = setTimeout(() => {
      this.renewTimer = null;
      this.renewing = this.renew()
        .catch((err: unknown) => {
          this.setState({ state: 'error', text: `renewing the connection failed: ${toError(err).message}` });
          // Try again on the shared backoff until it works (deliveries fail meanwhile and stay buffered).
          this.scheduleReopen();
        })
        .finally(() => {
          this.renewing = null;
        });
    }, Math.max(100, ms));
    this.renewTimer.unref?.();
  }

  /** Re-opens after a failed renewal, again and again with capped, jittered backoff, until it works or the target closes. */
  private scheduleReopen(): void {
    if (this.closed || this.conn || this.retryTimer) return;
    const delay = this.reopenBackoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closed || this.conn) return;
      this.openConnection().catch((err: unknown) => {
        this.setState({ state: 'error', text: `opening the connection failed: ${toError(err).message}` });
        this.scheduleReopen();
      });
    }, delay);
    this.retryTimer.unref?.();
  }

  private clearRenew(): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
  }

  /** A fresh connection with fresh credentials; in-flight publishes finish first (clean DISCONNECT). */
  private async renew(): Promise<void> {
    if (this.closed) return;
    const old = this.conn;
    this.conn = null;
    if (old) await old.end();
    if (this.closed) return;
    await this.openConnection();
  }
}

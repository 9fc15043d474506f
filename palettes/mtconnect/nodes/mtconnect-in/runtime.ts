/**
 * mtconnect-in: runtime of a source node, built on @plantwire/sdk.
 * Reads /current once (the state of every data item), then polls
 * /sample?from=<nextSequence>&count=<count> every interval — at once again
 * while the agent holds more — and sends each observation as a Plantwire tag
 * sample. A changed instanceId (agent restart) reads /probe and /current
 * again; OUT_OF_RANGE (our position left the agent's ring buffer) resyncs
 * with /current and says how much was lost. Network failures back off on the
 * SDK's Backoff and are logged once per outage (OutageLog); an input message
 * sends a /current snapshot now (done() once, done(err) on failure via onInput).
 */
import { Backoff, clearStatus, defineNode, numberSetting, onClose, onInput, OutageLog, PlantwireError, setStatus, useConfig, type NodeConfig, type NodeMessage, type RedApi, type TagSample } from '@plantwire/sdk';
import { MTConnectError, SequenceCursor, type Observation, type StreamsDocument } from '../../src/mtconnect';
import { toTagSample } from '../../src/samples';
import type { AgentHandle } from '../../src/agent';

interface Config extends NodeConfig {
  agent: string;
  device: string;
  interval: string | number;
  count: string | number;
  output: 'each' | 'batch';
  assetPrefix: string;
}

export = function (RED: RedApi): void {
  defineNode<Config>(RED, {
    type: 'mtconnect-in',
    version: { current: 1 },
    setup(node, config) {
      const intervalMs = numberSetting(config, 'interval', { label: 'interval (s)', min: 0.1, max: 86_400, default: 1 }) * 1000;
      const count = numberSetting(config, 'count', { label: 'count', min: 1, max: 100_000, integer: true, default: 1000 });
      const device = String(config.device ?? '').trim() || undefined;
      const batch = config.output === 'batch';
      const assetPrefix = String(config.assetPrefix ?? '').trim();
      const agent = useConfig<AgentHandle>(RED, config.agent, 'mtconnect-agent');

      const cursor = new SequenceCursor();
      const outage = new OutageLog(node, `MTConnect stream${device ? ` of ${device}` : ''}`);
      const backoff = new Backoff({ initialMs: 1000, maxMs: 30_000 });
      let timer: NodeJS.Timeout | null = null;
      let inflight: AbortController | null = null;
      let closed = false;
      let sent = 0;
      /** True from a /current until the first /sample after it succeeds: an OUT_OF_RANGE then is not a lost position. */
      let fresh = false;

      const samplesOf = (doc: StreamsDocument, obs: Observation[]): TagSample[] => obs.map((o) => toTagSample(o, doc.header, agent.model(), { assetPrefix }));
      const messages = (samples: TagSample[], base: NodeMessage = {}): NodeMessage[] =>
        samples.length === 0 ? [] : batch ? [{ ...base, topic: device ?? 'mtconnect', payload: samples }] : samples.map((s) => ({ ...base, topic: s.tag, payload: s }));
      const emit = (samples: TagSample[]): void => {
        const out = messages(samples);
        if (out.length) node.send([out]);
        sent += samples.length;
      };

      /** One step of the stream; resolves with the delay before the next. */
      const poll = async (): Promise<number> => {
        if (!agent.users.connected) return intervalMs; // the connection kit shows the agent's state
        const ac = new AbortController();
        inflight = ac;
        try {
          // The position moves only once the samples are built (a failure asks for the same observations again).
          if (!cursor.started) {
            const doc = await agent.client.current(device, ac.signal);
            const moved = cursor.copy();
            moved.start(doc);
            const samples = samplesOf(doc, doc.observations);
            cursor.adopt(moved);
            fresh = true;
            emit(samples);
          } else {
            let doc: StreamsDocument;
            try {
              doc = await agent.client.sample(cursor.next!, count, device, ac.signal);
            } catch (err) {
              if (!(err instanceof MTConnectError && err.code === 'OUT_OF_RANGE')) throw err;
              // Right after /current our position is the agent's newest: it refuses the request itself (count too large).
              if (fresh) throw new PlantwireError('bad-count', `the agent refuses /sample?count=${count} (${err.message}); lower "count" (agents allow at most their buffer size)`, `agent refuses count ${count}`);
              node.warn(cursor.fellBehind());
              return 0;
            }
            fresh = false;
            const moved = cursor.copy();
            const step = moved.step(doc);
            if (step.action === 'resync') {
              cursor.adopt(moved);
              node.warn(`${step.reason}: reading /probe and /current again`);
              await agent.reprobe();
              return 0;
            }
            const samples = samplesOf(doc, step.observations);
            cursor.adopt(moved);
            if (step.lost > 0) node.warn(`${step.lost} observation(s) lost: the agent's buffer no longer held them`);
            emit(samples);
            if (step.more) return 0;
          }
          backoff.reset();
          outage.succeeded();
          setStatus(node, 'ok', `${sent} samples, next ${cursor.next ?? '?'}`);
          return intervalMs;
        } catch (err) {
          if (closed) return intervalMs;
          const e = err as Error;
          // Refused (a count the agent rejects, wrong credentials): only the user can fix it, so a warning; unreachable: an info line.
          const refused = e instanceof PlantwireError || (e instanceof MTConnectError && e.code === 'UNAUTHORIZED');
          outage.failed(e.message, refused);
          setStatus(node, 'error', e instanceof PlantwireError ? e.status : e.message);
          return backoff.next();
        } finally {
          inflight = null;
        }
      };
      const loop = (): void => {
        timer = null;
        void poll().then((delay) => {
          if (!closed) timer = setTimeout(loop, delay);
        });
      };

      // The first /current as soon as the connection kit has read /probe (not an interval later).
      const unwatch = agent.users.onState((st) => {
        if (st.state === 'ok' && timer && !inflight && !cursor.started && !closed) {
          clearTimeout(timer);
          timer = setTimeout(loop, 0);
        }
      });
      agent.users.register(node);
      timer = setTimeout(loop, 0);

      // An input message sends the current state of every data item now.
      onInput(node, async (msg, send) => {
        if (!agent.users.connected) throw new PlantwireError('not-connected', 'the MTConnect agent is not connected yet; the snapshot was not read', 'agent not connected');
        const doc = await agent.client.current(device);
        const out = messages(samplesOf(doc, doc.observations), msg);
        if (out.length) send([out]);
      });

      // Every close (redeploy or removal): the timer is cleared, a request in flight aborted, the user deregistered.
      onClose(node, async (removed) => {
        closed = true;
        unwatch();
        if (timer) clearTimeout(timer);
        timer = null;
        inflight?.abort();
        clearStatus(node);
        await agent.users.deregister(node, removed);
      });
    },
  });
};

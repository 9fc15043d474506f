import { PlantwireError } from '../../src/model/errors';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import { onClose } from '../../src/runtime/close';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';
import { addAdminRoute } from '../../src/runtime/admin';
import { readSamples } from '../../src/transforms/samples';
import { Scaler, scaleSettings, type ScaleConfig } from '../../src/transforms/scale';
import { compileUnitConversion, COMMON_UNITS } from '../../src/transforms/units';

const TYPE = 'plantwire-scale';

export = function register(RED: RedApi): void {
  defineNode<ScaleConfig & NodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      const scaler = new Scaler(scaleSettings(config));
      const status = new LiveStatus(node);
      let count = 0;
      const st = scaler.settings;
      const label = `${st.mode === 'range' ? 'range' : st.mode === 'gain' ? `×${st.gain}${st.offset ? ` ${st.offset >= 0 ? '+' : '−'} ${Math.abs(st.offset)}` : ''}` : 'no scaling'}${st.toUnit ? ` → ${st.toUnit}` : ''}`;
      status.now('idle', label);
      onInput(node, (msg, send) => {
        try {
          const batch = Array.isArray(msg.payload);
          const samples = readSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined });
          const out = scaler.batch(samples, batch);
          msg.payload = batch ? out : out[0];
          if (!batch) msg.topic = out[0]!.tag;
          count += out.length;
          send(msg);
          status.update('ok', `${label} · ${count} scaled`);
        } catch (err) {
          status.failed();
          throw err;
        }
      });
      onClose(node, () => status.cancel());
    },
  });

  addAdminRoute(RED, {
    method: 'get',
    path: 'scale/units',
    permission: `${TYPE}.read`,
    handler(req) {
      const from = typeof req.query.from === 'string' ? req.query.from : '';
      const to = typeof req.query.to === 'string' ? req.query.to : '';
      if (!from && !to) return { units: COMMON_UNITS };
      if (!from || !to) throw new PlantwireError('bad-request', 'give both from and to units to check a conversion');
      const c = compileUnitConversion(from, to);
      return { from, to, a: c.a, b: c.b };
    },
  });
};

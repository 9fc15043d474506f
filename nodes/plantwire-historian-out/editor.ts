// Editor definition of plantwire-historian-out. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-historian-out.html.
// The durable-buffer rows are nodes/editor/buffer.ts (labels from this node's "buffer.*" keys).
import { prepareBuffer } from '../editor/buffer';
import { invalid, pickConfigs } from '../editor/kit';

interface HistorianOutBufferProps {
  bufferMode: string;
  bufferMaxEntries: number;
  bufferMaxMB: number;
  bufferOverflow: string;
  bufferReplayRate: number;
}

interface HistorianOutEditorProps extends EditorNodeProperties, HistorianOutBufferProps {
  version: number;
  db: string;
  batchSize: number;
}

RED.nodes.registerType<HistorianOutEditorProps>('plantwire-historian-out', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    db: { value: '', type: 'plantwire-historian-db', required: true },
    batchSize: {
      value: 100,
      required: true,
      validate: function (v: string, opt?: object) {
        return (/^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 10000) || invalid(this, opt, 'plantwire-historian-out.validation.batchSize');
      },
    },
    bufferMode: { value: 'memory' },
    bufferMaxEntries: { value: 100000, validate: RED.validators.number(true) },
    bufferMaxMB: { value: 64, validate: RED.validators.number(true) },
    bufferOverflow: { value: 'drop-oldest' },
    bufferReplayRate: { value: 0, validate: RED.validators.number(true) },
  },
  inputs: 1,
  outputs: 0,
  icon: 'plantwire-historian-out.svg',
  align: 'right',
  paletteLabel: 'historian out',
  inputLabels: 'tag sample, batch of samples, or a plain value with msg.topic',
  label: function (this: HistorianOutEditorProps) {
    if (this.name) return this.name;
    const db = this.db ? (RED.nodes.node(this.db) as unknown as { label?: () => string; name?: string } | null) : null;
    return 'historian' + (db && db.name ? ' ' + db.name : '');
  },
  labelStyle: function (this: HistorianOutEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: HistorianOutEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    prepareBuffer($('#plantwire-historian-buffer'), this, 'plantwire-historian-out');
  },
});

// Editor definition of plantwire-historian-out. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-historian-out.html.
// The durable-buffer rows are nodes/editor/buffer.ts (labels from this node's "buffer.*" keys).
import { prepareBuffer } from '../editor/buffer';
import { nodeText, pickConfigs } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

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
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 0,
  icon: 'plantwire-historian-out.svg',
  align: 'right',
  paletteLabel: 'historian',
  inputLabels: function () {
    return nodeText(this, 'plantwire-historian-out.ports.in');
  },
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

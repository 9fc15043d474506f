// Globals of the Node-RED editor, for type-checking nodes/*/editor.ts.
import type * as EditorClient from '@node-red/editor-client';

declare global {
  const RED: EditorClient.RED;
  type EditorNodeProperties = EditorClient.NodeProperties;
}
export {};

/**
 * The part of `RED.util` some nodes use (JSONata, message properties). Kept
 * out of RedApi in types.ts so that type stays the minimal slice every node
 * needs; nodes that use these read them with `redUtil(RED)`, which fails
 * clearly in a runtime without them.
 */
import type { JsonataUtil } from '../transforms/map';
import type { RedApi } from './types';

export interface RedUtil extends JsonataUtil {
  getMessageProperty(msg: object, expr: string): unknown;
  setMessageProperty(msg: object, prop: string, value: unknown, createMissing?: boolean): boolean;
}

export function redUtil(RED: RedApi): RedUtil {
  const util = (RED as RedApi & { util?: Partial<RedUtil> }).util;
  if (!util || typeof util.prepareJSONataExpression !== 'function' || typeof util.getMessageProperty !== 'function') {
    throw new Error('this Node-RED runtime does not provide RED.util (JSONata and message properties): Plantwire needs Node-RED 4 or later');
  }
  return util as RedUtil;
}

// The property path rule is pure (src/model/settings.ts): field specs use it in the dialog too.
export { propertySetting } from '../model/settings';

/**
 * A reference parser for InfluxDB line protocol, written from the spec
 * (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/),
 * independent of the writer: measurement ends at an unescaped comma or space;
 * tag keys/values at unescaped `,` `=` or space; `\,` `\=` `\ ` unescape in
 * names, `\"` and `\\` in string fields. Used by the tests' fake InfluxDB.
 */
export interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, string | number | boolean>;
  timestamp: string | null;
}

export function parseLine(line: string): ParsedLine {
  let i = 0;
  const readName = (stops: string): string => {
    let out = '';
    while (i < line.length) {
      const c = line[i]!;
      if (c === '\\' && i + 1 < line.length && ', ='.includes(line[i + 1]!)) {
        out += line[i + 1];
        i += 2;
        continue;
      }
      if (stops.includes(c)) break;
      out += c;
      i += 1;
    }
    return out;
  };
  const measurement = readName(', ');
  const tags: Record<string, string> = {};
  while (line[i] === ',') {
    i += 1;
    const k = readName('=');
    if (line[i] !== '=') throw new Error(`bad tag at ${i}: ${line}`);
    i += 1;
    tags[k] = readName(', ');
  }
  if (line[i] !== ' ') throw new Error(`expected a space before the fields at ${i}: ${line}`);
  i += 1;
  const fields: Record<string, string | number | boolean> = {};
  for (;;) {
    const k = readName('=');
    if (line[i] !== '=') throw new Error(`bad field at ${i}: ${line}`);
    i += 1;
    if (line[i] === '"') {
      i += 1;
      let v = '';
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          v += line[i + 1];
          i += 2;
        } else {
          v += line[i];
          i += 1;
        }
      }
      if (line[i] !== '"') throw new Error(`unterminated string at ${i}: ${line}`);
      i += 1;
      fields[k] = v;
    } else {
      let raw = '';
      while (i < line.length && line[i] !== ',' && line[i] !== ' ') raw += line[i++];
      if (/^(t|T|true|True|TRUE)$/.test(raw)) fields[k] = true;
      else if (/^(f|F|false|False|FALSE)$/.test(raw)) fields[k] = false;
      else if (/^-?\d+i$/.test(raw)) fields[k] = Number(raw.slice(0, -1));
      else if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) fields[k] = Number(raw);
      else throw new Error(`bad field value ${raw}: ${line}`);
    }
    if (line[i] === ',') {
      i += 1;
      continue;
    }
    break;
  }
  let timestamp: string | null = null;
  if (line[i] === ' ') {
    timestamp = line.slice(i + 1);
    if (!/^-?\d+$/.test(timestamp)) throw new Error(`bad timestamp ${timestamp}: ${line}`);
  } else if (i !== line.length) throw new Error(`trailing text at ${i}: ${line}`);
  return { measurement, tags, fields, timestamp };
}

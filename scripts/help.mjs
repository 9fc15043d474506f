// Turns a node's help.md into what Node-RED's help sidebar renders cleanly, and
// into the docs/nodes page (GitHub markdown).
//
// Why this exists: Node-RED renders help with marked plus two extensions of its
// own for property lists (`: name (types) : description`). Their rules forbid
// any ":" after the second one on such a line (block rule
// `^(?::[^:\n]+:[^:\n]*(?:\n|$))+`), and the inline rule
// `^:([^:\n]+)\(([^:\n]+)\).*?:([^:\n]*)` fires on ANY colon of a paragraph that
// is followed by "(…)" and another colon on the same line. So a description
// with a colon (`msg.payload`: …, `ns=2;s=…`, "**Security**: STARTTLS (587) …: …")
// came out garbled: text lost, stray backticks, names run into their types.
// The fix keeps the help markdown as written and hands Node-RED colons it
// cannot misread: `&#58;` (the browser shows ":"), and code spans that hold a
// colon as <code> HTML. Nothing else of the markdown is touched.
//
// For the docs pages the property lists become ordinary markdown lists.

const PROPERTY = /^: (\S(?:[^():]*\S)?) \(([^():]+)\) : (.+)$/;

function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Splits a line into pieces that must stay as written (code spans, link
 * destinations, HTML tags, bare URLs) and plain text.
 */
function pieces(line) {
  const out = [];
  const re = /(`+)([\s\S]*?[^`])\1(?!`)|\]\([^)\s]*\)|<[a-zA-Z/][^>]*>|https?:\/\/[^\s)>]+/g;
  let last = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m.index > last) out.push({ text: line.slice(last, m.index) });
    out.push(m[1] ? { code: m[2], raw: m[0] } : { keep: m[0] });
    last = m.index + m[0].length;
  }
  if (last < line.length) out.push({ text: line.slice(last) });
  return out;
}

/** A line of text with every colon Node-RED's list rules could misread replaced. */
function escapeColons(line, { inCode }) {
  return pieces(line)
    .map((p) => {
      if (p.text !== undefined) return p.text.replace(/:/g, '&#58;');
      if (p.code !== undefined) {
        if (!inCode || !p.code.includes(':')) return p.raw;
        const code = p.code.startsWith(' ') && p.code.endsWith(' ') && p.code.trim() ? p.code.slice(1, -1) : p.code;
        return `<code>${escapeHtml(code).replace(/:/g, '&#58;')}</code>`;
      }
      return p.keep;
    })
    .join('');
}

/** Lines starting with ":" that are not a well-formed property line (the build refuses them). */
export function badPropertyLines(md) {
  let fenced = false;
  const bad = [];
  for (const line of md.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (!fenced && /^:/.test(line) && !PROPERTY.test(line)) bad.push(line);
  }
  return bad;
}

/** help.md → the markdown Node-RED's sidebar renders without garbling. */
export function helpForNodeRed(md) {
  let fenced = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced;
        return line;
      }
      if (fenced) return line;
      const m = PROPERTY.exec(line);
      // In a property line every colon after the second counts, also inside code spans.
      if (m) return `: ${m[1]} (${m[2].trim()}) : ${escapeColons(m[3], { inCode: true })}`;
      return escapeColons(line, { inCode: false });
    })
    .join('\n');
}

/** help.md → GitHub markdown for docs/nodes: property lists as bullet lists (nested under "1. Output"). */
export function helpForDocs(md) {
  let fenced = false;
  let underOrdered = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) fenced = !fenced;
      if (fenced) return line;
      const m = PROPERTY.exec(line);
      if (m) return `${underOrdered ? '   ' : ''}- \`${m[1]}\` *(${m[2].trim()})* — ${m[3]}`;
      underOrdered = /^\d+\. /.test(line) ? true : line.trim() === '' ? false : underOrdered;
      return line;
    })
    .join('\n');
}

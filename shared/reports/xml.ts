// Just enough XML for our reports: escaping for writers, and a small reader for the JUnit and
// Cobertura files pytest writes (no DTDs, no namespaces needed).

export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // XML 1.0 forbids most control characters even when escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
  );
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
}

/** Parses a document and returns its root element; throws on malformed input. */
export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<!DOCTYPE[^>]*>|<\/([^\s>]+)\s*>|<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(source)) !== null) {
    if (match.index !== consumed) throw new Error(`Malformed XML near offset ${consumed}.`);
    consumed = token.lastIndex;
    const [whole, cdata, closing, opening, attrs, selfClosing, text] = match;
    const top = stack[stack.length - 1];
    if (cdata !== undefined) top.text += cdata;
    else if (closing !== undefined) {
      if (top.name !== closing) throw new Error(`Malformed XML: </${closing}> closes <${top.name}>.`);
      stack.pop();
    } else if (opening !== undefined) {
      const element: XmlElement = { name: opening, attributes: {}, children: [], text: '' };
      for (const a of (attrs ?? '').matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        element.attributes[a[1]] = decode(a[2] ?? a[3] ?? '');
      }
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    } else if (text !== undefined) top.text += decode(text);
    else if (whole.startsWith('<') && !whole.startsWith('<!--') && !whole.startsWith('<?') && !whole.startsWith('<!DOCTYPE')) {
      throw new Error('Malformed XML.');
    }
  }
  if (consumed !== source.length) throw new Error(`Malformed XML near offset ${consumed}.`);
  if (stack.length !== 1) throw new Error(`Malformed XML: <${stack[stack.length - 1].name}> is not closed.`);
  const elements = root.children;
  if (elements.length !== 1) throw new Error('Malformed XML: expected one root element.');
  return elements[0];
}

/** All descendants (depth-first) with this name. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  for (const child of element.children) {
    if (child.name === name) found.push(child);
    found.push(...findAll(child, name));
  }
  return found;
}

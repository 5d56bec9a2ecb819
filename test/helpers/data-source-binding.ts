// A task.json `dataSourceBinding` resolved the way the Azure DevOps server resolves it for a classic-editor
// dropdown, paging included:
//
//  1. `$(input)` is replaced with the other inputs' values, `{{{endpoint.*}}}` with the service connection's.
//  2. The first call's context is `initialContextTemplate` (a JSON object); its keys fill `{{{key}}}` in
//     `endpointUrl`.
//  3. After each call, `callbackRequiredTemplate` is evaluated against the answer (`response.*` is its JSON
//     body, `headers.*` its headers); while it says true, `callbackContextTemplate` gives the next call's
//     context and the server calls again. The items `resultSelector` picks from every answer are joined.
//  4. Microsoft's pagination notes for data sources (microsoft/azure-pipelines-extensions,
//     docs/authoring/endpoints/pagination.md) put a hard limit of 5 calls on one list.
//
// Only the template features our bindings and Microsoft's ARM bindings use are implemented — `{{{path}}}`,
// `{{path}}`, `{{isTokenPresent path}}`, `{{#getTokenValue path}}…{{/getTokenValue}}` and, inside it,
// `{{extractUrlQueryParameter name}}` — with the server's semantics as its helpers define them: a
// present token (even JSON null) counts as present, and extractUrlQueryParameter reads the raw query string
// of the URL, splits it on `&` and the first `=`, looks the name up as written (then URL-decoded), and
// returns the value as it stands there (still percent-encoded). Anything else throws, so a binding that
// needs more than this cannot pass unnoticed.

/** Most calls the server makes for one list. */
export const MAX_CALLS = 5;

export interface DataSourceBinding {
  target: string;
  endpointId: string;
  endpointUrl: string;
  resultSelector: string;
  callbackContextTemplate?: string;
  callbackRequiredTemplate?: string;
  initialContextTemplate?: string;
}

type Scope = Record<string, unknown>;

function lookup(scope: Scope, path: string): unknown {
  let at: unknown = scope;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object' || !(part in (at as object))) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The value of query parameter `name` in `url`, as the server's extractUrlQueryParameter returns it. */
export function extractUrlQueryParameter(url: string, name: string): string {
  const query = new URL(url).search.slice(1);
  const pairs = new Map<string, string>();
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    pairs.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? '' : part.slice(eq + 1));
  }
  let value: string | undefined;
  for (const candidate of name.trim().split(',')) {
    value = pairs.get(candidate) ?? pairs.get(decodeURIComponent(candidate));
    if (value) break;
  }
  return value ?? '';
}

/** Renders a mustache template of a binding; `current` is the object a block helper hands its children. */
export function render(template: string, scope: Scope, current?: string): string {
  let out = '';
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) return out + rest;
    out += rest.slice(0, open);
    const triple = rest.startsWith('{{{', open);
    const close = rest.indexOf(triple ? '}}}' : '}}', open);
    if (close < 0) throw new Error(`Unclosed mustache in ${template}`);
    const tag = rest.slice(open + (triple ? 3 : 2), close).trim();
    rest = rest.slice(close + (triple ? 3 : 2));
    const [head, ...args] = tag.split(/\s+/);
    if (head === '#getTokenValue') {
      const end = `{{/getTokenValue}}`;
      const at = rest.indexOf(end);
      if (at < 0) throw new Error(`getTokenValue without its closing tag in ${template}`);
      const token = lookup(scope, args[0]);
      out += token === undefined || token === null ? '' : render(rest.slice(0, at), scope, String(token));
      rest = rest.slice(at + end.length);
    } else if (head === 'isTokenPresent') {
      // The server's helper: the selected JSON token exists (JSON null included).
      out += String(lookup(scope, args[0]) !== undefined);
    } else if (head === 'extractUrlQueryParameter') {
      if (current === undefined) throw new Error('extractUrlQueryParameter with one argument needs an enclosing getTokenValue.');
      out += extractUrlQueryParameter(current, args.join(' '));
    } else if (args.length === 0 && /^[\w.-]+$/.test(head)) {
      const value = lookup(scope, head);
      if (value === undefined) throw new Error(`The template reads {{${head}}}, which the server would not have: ${template}`);
      out += triple ? String(value) : html(String(value));
    } else {
      throw new Error(`Template feature '${tag}' is not implemented by this resolver: ${template}`);
    }
  }
}

/** `$(input)` as the server fills it in from the task's other inputs. */
export function fillInputs(template: string, inputs: Record<string, string>): string {
  return template.replace(/\$\((\w+)\)/g, (_, name: string) => {
    if (!(name in inputs)) throw new Error(`The binding reads $(${name}), which the test did not fill in.`);
    return encodeURIComponent(inputs[name]);
  });
}

/** The `jsonpath:$.value[*].<field>` selectors the bindings use. */
export function select(selector: string, body: { value?: Array<Record<string, unknown>> }): string[] {
  const m = /^jsonpath:\$\.value\[\*\]\.(\w+)$/.exec(selector);
  if (!m) throw new Error(`Unexpected result selector ${selector}`);
  return (body.value ?? []).map((item) => String(item[m[1]]));
}

export interface Resolved {
  items: string[];
  /** The URLs called, in order. */
  urls: string[];
  /** True when the list still had pages after the server's last allowed call. */
  truncated: boolean;
}

/** Calls the binding's list until it says there is no more (or the server's call limit), joining the items. */
export async function resolveBinding(
  binding: DataSourceBinding,
  endpoint: Record<string, string>,
  inputs: Record<string, string>,
  get: (url: string) => Promise<{ status: number; body: unknown; headers: Record<string, string> }>,
): Promise<Resolved> {
  const urlTemplate = fillInputs(binding.endpointUrl, inputs);
  const paged = binding.callbackRequiredTemplate !== undefined;
  if (paged && (binding.callbackContextTemplate === undefined || binding.initialContextTemplate === undefined)) {
    throw new Error(`${binding.target}: a paged binding needs callbackContextTemplate and initialContextTemplate too.`);
  }
  let context = paged ? (JSON.parse(render(binding.initialContextTemplate!, {})) as Scope) : {};
  const items: string[] = [];
  const urls: string[] = [];
  for (;;) {
    const url = render(urlTemplate, { endpoint, ...context });
    urls.push(url);
    const answer = await get(url);
    if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    items.push(...select(binding.resultSelector, answer.body as { value?: Array<Record<string, unknown>> }));
    const scope = { response: answer.body, headers: answer.headers };
    if (!paged || !/^true$/i.test(render(binding.callbackRequiredTemplate!, scope).trim())) return { items, urls, truncated: false };
    if (urls.length >= MAX_CALLS) return { items, urls, truncated: true };
    context = JSON.parse(render(binding.callbackContextTemplate!, scope)) as Scope;
  }
}

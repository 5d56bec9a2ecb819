// Blue-green traffic, as pure functions: the `traffic` input's steps ("100", "10,50,100", "0"), and the
// endpoint traffic at each step — the new deployment gets its share, the deployments that served before
// share the rest in their old proportions (largest remainder, so the total stays exactly 100).
import { InputError } from '../platform/errors.js';
import type { Traffic } from './endpoints.js';

/** "10,50,100" → [10, 50, 100]: whole percentages, rising; "0" deploys without moving any traffic. */
export function parseTrafficSteps(text: string, input = 'traffic'): number[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw new InputError(input, 'must be a percentage (100) or rising steps (10,50,100).');
  const steps = parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) > 100) throw new InputError(input, `must hold whole percentages from 0 to 100, separated by commas (got '${p}' in '${text}').`);
    return Number(p);
  });
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] <= steps[i - 1]) throw new InputError(input, `must rise from step to step (got ${steps[i - 1]} then ${steps[i]} in '${text}').`);
  }
  if (steps.length > 1 && steps[0] === 0) throw new InputError(input, `cannot start with 0 when it has more steps ('${text}'); 0 alone deploys without moving traffic.`);
  return steps;
}

/**
 * The endpoint's traffic with `deployment` at `percent`: the others that had traffic share the rest in
 * proportion to what they had. With no other deployment serving, the new one takes everything (an
 * endpoint's traffic adds up to 100 or to nothing).
 */
export function trafficWith(before: Traffic, deployment: string, percent: number): Traffic {
  const others = Object.entries(before).filter(([n, w]) => w > 0 && n.toLowerCase() !== deployment.toLowerCase());
  const total = others.reduce((s, [, w]) => s + w, 0);
  if (total === 0) return percent === 0 ? {} : { [deployment]: 100 };
  const rest = 100 - percent;
  const shares = others.map(([n, w]) => ({ n, exact: (w / total) * rest }));
  const result: Traffic = Object.fromEntries(shares.map((s) => [s.n, Math.floor(s.exact)]));
  let missing = rest - Object.values(result).reduce((s, w) => s + w, 0);
  for (const s of [...shares].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || a.n.localeCompare(b.n))) {
    if (missing <= 0) break;
    result[s.n]++;
    missing--;
  }
  // Deployments that served nothing before keep their 0 entries; the new one gets its share.
  for (const [n, w] of Object.entries(before)) if (w === 0 && n.toLowerCase() !== deployment.toLowerCase()) result[n] = 0;
  result[deployment] = percent;
  return result;
}

/** The deployment that served most of the traffic (the one being replaced), if any. */
export function mainDeployment(traffic: Traffic): string | undefined {
  const live = Object.entries(traffic).filter(([, w]) => w > 0).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return live[0]?.[0];
}

/**
 * The name for the new deployment when none was given: the YAML's, unless that deployment is the one
 * serving traffic now — then the other of blue / green (the convention of Azure ML's blue-green docs).
 */
export function nextDeploymentName(preferred: string | undefined, traffic: Traffic): string {
  const name = preferred ?? 'blue';
  const serving = Object.entries(traffic).some(([n, w]) => w > 0 && n.toLowerCase() === name.toLowerCase());
  if (!serving) return name;
  const flip: Record<string, string> = { blue: 'green', green: 'blue' };
  return flip[name.toLowerCase()] ?? `${name}-2`;
}

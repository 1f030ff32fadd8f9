// The functions that took the most self time in a V8 CPU profile (node --cpu-prof), with their share of the samples
// that were not idle, and the same grouped by package (werift's parts, node internals, the product's own code).
// Run: node --import tsx bench/support/cpuprofile-top.ts <file.cpuprofile> [rows=25] [skip the first seconds=0]
// (skip the start-up, module loading under tsx, to see the steady state of the calls)
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: cpuprofile-top.ts <file.cpuprofile> [rows]');
const rows = Number(process.argv[3] ?? 25);
const skipUs = Number(process.argv[4] ?? 0) * 1e6;
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMs = new Map<number, number>();
let elapsedUs = 0;
profile.samples.forEach((id, index) => {
  elapsedUs += profile.timeDeltas[index] ?? 0;
  if (elapsedUs >= skipUs) selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
});

const place = (url: string) => {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:lib\/)?([^/]+)?/.exec(url);
  if (inModules) return inModules[1] === 'werift' ? `werift/${inModules[2] ?? ''}` : inModules[1]!;
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/src/')) return 'product';
  return url ? 'other' : '(native/VM)';
};
const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
let total = 0;
for (const [id, ms] of selfMs) {
  const frame = byId.get(id)!.callFrame;
  if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
  total += ms;
  const where = frame.url ? `${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|bench)\//, '$1/')}:${frame.lineNumber + 1}` : '';
  const key = `${frame.functionName || '(anonymous)'} ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
  const group = frame.functionName === '(garbage collector)' ? '(garbage collector)' : place(frame.url);
  byPlace.set(group, (byPlace.get(group) ?? 0) + ms);
}
const show = (map: Map<string, number>, limit: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .forEach(([key, ms]) => console.log(`${((ms / total) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${key}`));
console.log(`${file}: ${total.toFixed(0)} ms of non-idle samples${skipUs ? ` after the first ${skipUs / 1e6} s` : ''}`);
console.log('By place:');
show(byPlace, 15);
console.log(`Top ${rows} functions by self time:`);
show(byFunction, rows);

// `npm run bench`: lists the benchmarks in bench/ (each file with a `// Run:` line in its header), with the first
// line of its header as the description and the command that runs it. `npm run bench -- <name> [args]` runs one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;

interface Benchmark {
  name: string;
  description: string;
  run: string;
}

function benchmarks(): Benchmark[] {
  return fs
    .readdirSync(here)
    .filter((file) => file.endsWith('.ts'))
    .sort()
    .flatMap((file) => {
      const header = fs.readFileSync(path.join(here, file), 'utf8').split('\n');
      const comments = header
        .slice(
          0,
          header.findIndex((line) => !line.startsWith('//')),
        )
        .map((line) => line.replace(/^\/\/\s?/, ''));
      const run = comments
        .find((line) => line.startsWith('Run:'))
        ?.slice('Run:'.length)
        .trim();
      return run ? [{ name: path.basename(file, '.ts'), description: comments[0] ?? '', run }] : [];
    });
}

const [name, ...args] = process.argv.slice(2);
const all = benchmarks();
if (!name) {
  console.log('Benchmarks (bench/): each prints its figures after a line naming the machine, its cores and load.\n');
  for (const b of all) console.log(`  ${b.name.padEnd(18)} ${b.description}\n  ${''.padEnd(18)} ${b.run}\n`);
  console.log('Run one with its command above, or: npm run bench -- <name> [arguments]');
} else {
  const chosen = all.find((b) => b.name === name || `${b.name}.ts` === name);
  if (!chosen) {
    console.error(`No benchmark "${name}". Benchmarks: ${all.map((b) => b.name).join(', ')}`);
    process.exitCode = 2;
  } else {
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${chosen.name}.ts`), ...args], { stdio: 'inherit' });
    process.exitCode = result.status ?? 1;
  }
}

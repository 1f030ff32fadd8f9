// Shared by every benchmark: the machine the figures were measured on, printed first, so a figure is never read
// without the core count and how busy the machine already was (a 1-minute load near the core count means
// something else was running, and the figures are not comparable).
import os from 'node:os';
import path from 'node:path';

/** One line: the benchmark and its arguments, cores, load average (1, 5, 15 min), memory, Node and platform. */
export function machineLine(argv: string[] = process.argv): string {
  const script = argv[1] ? `bench/${path.basename(argv[1])}` : 'bench';
  const args = argv.slice(2).join(' ');
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim();
  const load = os.loadavg().map((l) => l.toFixed(2));
  const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);
  return (
    `${script}${args ? ` ${args}` : ''} | machine: ${os.availableParallelism()} cores${model ? ` (${model})` : ''}, ` +
    `load average ${load.join(' ')} (1, 5, 15 min), ${gib(os.totalmem())} GiB RAM (${gib(os.freemem())} free), ` +
    `Node.js ${process.version} on ${process.platform} ${process.arch}`
  );
}

/** Prints the machine line; every benchmark calls this before it measures anything. */
export function printMachine(): void {
  console.log(machineLine());
}

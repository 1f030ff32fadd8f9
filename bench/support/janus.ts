// Janus 1.1.2 (Debian's package) as the benchmark peer of bench/media-load.ts: started in a network namespace of its
// own with a veth pair on a private /30, because Janus ignores loopback-only hosts when gathering ICE candidates
// (ARCHITECTURE §4). Only the HTTP transport and the videoroom plugin are loaded; the configuration is generated into
// a scratch folder. Everything made here (namespace, veth, process) is removed by stop(), also after a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface JanusServer {
  /** The pid of the janus process (in the namespace), whose process tree's CPU is measured. */
  pid: number;
  /** Janus's HTTP API as reached from the host side of the veth pair. */
  baseUrl: string;
  /** The host's address on the veth pair: the only address the synthetic clients offer as an ICE candidate. */
  hostAddress: string;
  recDir: string;
  version: string;
  stop(): void;
}

const run = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8' });

function must(command: string, args: string[]): void {
  const result = run(command, args);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`);
}

/** Installs Debian's janus when it is missing and this is root with apt-get (as scripts/test.sh does for chromium). */
function ensureInstalled(): string | undefined {
  // janus prints its version for --version but exits 1 ("Unknown option"): read the output, not the status.
  const installed = () => run('janus', ['--version']);
  const found = (probe: ReturnType<typeof installed>) => /Janus version/.test(probe.stdout ?? '');
  let probe = installed();
  if (!found(probe)) {
    if (process.getuid?.() !== 0 || run('apt-get', ['--version']).status !== 0) return undefined;
    console.log("Installing janus from Debian's packages...");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'janus'], { env, stdio: 'ignore' });
    probe = installed();
    if (!found(probe)) return undefined;
  }
  return /Janus version: \d+ \(([^)]+)\)/.exec(probe.stdout)?.[1] ?? 'unknown';
}

function pluginsFolder(kind: 'plugins' | 'transports'): string {
  const listed = run('dpkg', ['-L', 'janus']).stdout.split('\n');
  const match = listed.find((line) => line.endsWith(`/janus/${kind}`));
  return match ?? `/usr/lib/x86_64-linux-gnu/janus/${kind}`;
}

function writeConfig(dir: string, nsAddress: string, vethNs: string, recDir: string): void {
  const plugins = pluginsFolder('plugins');
  const transports = pluginsFolder('transports');
  const others = (folder: string, keep: string) =>
    fs
      .readdirSync(folder)
      .filter((f) => f.endsWith('.so') && f !== keep)
      .join(',');
  fs.writeFileSync(
    path.join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${plugins}"
  transports_folder = "${transports}"
  events_folder = "${dir}/none"
  loggers_folder = "${dir}/none"
  debug_level = 2
  session_timeout = 120
  protected_folders = []
}
certificates: {}
media: {
  rtp_port_range = "20000-40000"
  nack_optimizations = true
}
nat: {
  nice_debug = false
  ice_enforce_list = "${vethNs}"
  ignore_mdns = true
}
plugins: { disable = "${others(plugins, 'libjanus_videoroom.so')}" }
transports: { disable = "${others(transports, 'libjanus_http.so')}" }
events: { broadcast = false }
`,
  );
  fs.writeFileSync(
    path.join(dir, 'janus.transport.http.jcfg'),
    `general: {
  json = "compact"
  base_path = "/janus"
  http = true
  port = 8088
  ip = "${nsAddress}"
  https = false
}
admin: { admin_http = false }
cors: {}
`,
  );
  // Rooms are created per call over the API (record = true, rec_dir below); none are configured statically.
  fs.writeFileSync(path.join(dir, 'janus.plugin.videoroom.jcfg'), `general: {\n  string_ids = true\n}\n`);
  fs.mkdirSync(recDir, { recursive: true });
}

/** Starts Janus in its namespace; undefined (with the reason printed) when it cannot run here. */
export async function startJanus(scratch: string): Promise<JanusServer | undefined> {
  const version = ensureInstalled();
  if (!version) {
    console.log('Janus: not installed and cannot be installed here (needs root and apt-get): measuring werift only.');
    return undefined;
  }
  if (process.getuid?.() !== 0 || run('ip', ['-V']).status !== 0) {
    console.log('Janus: a network namespace needs root and iproute2 (ip): measuring werift only.');
    return undefined;
  }
  const tag = String(process.pid % 100000);
  const ns = `rvr-janus-${tag}`;
  const vethHost = `rvjh${tag}`;
  const vethNs = `rvjn${tag}`;
  const subnet = `10.213.${process.pid % 250}`;
  const hostAddress = `${subnet}.1`;
  const nsAddress = `${subnet}.2`;
  let child: ChildProcess | undefined;
  const stop = () => {
    if (child?.pid && child.exitCode === null) {
      child.kill('SIGTERM');
      const until = Date.now() + 3000;
      while (child.exitCode === null && Date.now() < until && fs.existsSync(`/proc/${child.pid}`)) spawnSync('sleep', ['0.1']);
      if (fs.existsSync(`/proc/${child.pid}`)) child.kill('SIGKILL');
    }
    run('ip', ['link', 'del', vethHost]);
    run('ip', ['netns', 'del', ns]);
  };
  process.once('exit', stop);
  try {
    must('ip', ['netns', 'add', ns]);
    must('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs]);
    must('ip', ['link', 'set', vethNs, 'netns', ns]);
    must('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', vethHost]);
    must('ip', ['link', 'set', vethHost, 'up']);
    must('ip', ['-n', ns, 'addr', 'add', `${nsAddress}/30`, 'dev', vethNs]);
    must('ip', ['-n', ns, 'link', 'set', vethNs, 'up']);
    must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const configDir = path.join(scratch, 'janus-config');
    const recDir = path.join(scratch, 'janus-recordings');
    fs.mkdirSync(configDir, { recursive: true });
    writeConfig(configDir, nsAddress, vethNs, recDir);
    const log = fs.openSync(path.join(scratch, 'janus.log'), 'w');
    // `ip netns exec` enters the namespace and execs janus, so the child's pid is janus's own.
    child = spawn(
      'ip',
      ['netns', 'exec', ns, 'janus', '-F', configDir, '-C', path.join(configDir, 'janus.jcfg'), '-o', '-N', '-L', path.join(scratch, 'janus.log')],
      {
        stdio: ['ignore', log, log],
      },
    );
    const baseUrl = `http://${nsAddress}:8088/janus`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`janus exited (${child.exitCode}): ${fs.readFileSync(path.join(scratch, 'janus.log'), 'utf8').slice(-800)}`);
      const info = await fetch(`${baseUrl}/info`).then(
        (r) => (r.ok ? r.json() : undefined),
        () => undefined,
      );
      if (info) break;
      if (Date.now() > deadline) throw new Error('janus did not answer on its HTTP API within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return { pid: child.pid!, baseUrl, hostAddress, recDir, version, stop };
  } catch (error) {
    stop();
    console.log(`Janus: could not be started (${error instanceof Error ? error.message : String(error)}): measuring werift only.`);
    return undefined;
  }
}

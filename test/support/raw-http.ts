import http from 'node:http';

// Shared by the edges tests (test/integration/edges*.test.ts): a log sink to read, and requests over a real socket.

/** Collects the app's JSON log lines, to assert on what it warned about. */
export function logCollector() {
  const lines: string[] = [];
  // A plain destination, not a stream: nothing can destroy it, so a log line written while the app shuts down after
  // its suite (a late LISTEN error, a closing socket) is kept instead of failing the file with ERR_STREAM_DESTROYED.
  const destination = {
    write(chunk: string) {
      lines.push(String(chunk));
    },
  };
  const warningsSince = (from: number) => lines.slice(from).filter((line) => (JSON.parse(line) as { level: number }).level >= 40);
  return { lines, destination, warningsSince };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over a real socket (through `agent`), failing after `ms` rather than waiting for a keep-alive timeout. */
export function request(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string | number>; agent?: http.Agent; body?: Buffer; ms?: number },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: options.agent });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer to ${options.method ?? 'GET'} ${options.path} within ${options.ms ?? 3000} ms`));
    }, options.ms ?? 3000);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode!, headers: res.headers, body });
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (!options.body) return req.end();
    // Written in pieces, minding back-pressure, the way a browser sends a file.
    const body = options.body;
    let sent = 0;
    const pump = () => {
      while (sent < body.length) {
        const piece = body.subarray(sent, sent + 64 * 1024);
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

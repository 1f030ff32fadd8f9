import { execFileSync } from 'node:child_process';

/** One PNG frame of an ffmpeg test source (e.g. `color=red:size=32x32`, `testsrc=size=160x120`): a photo or snapshot to store. */
export function pngFrame(source: string): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-']);
}

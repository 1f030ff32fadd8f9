import type { AwsCredentials } from './s3-sink.js';
import type { EvidenceSink } from './evidence-sink.js';
import { FolderEvidenceSink } from './folder-sink.js';
import { HttpEvidenceSink } from './http-sink.js';
import { S3EvidenceSink } from './s3-sink.js';

export type EvidenceSinkConfig =
  | { kind: 'folder'; root: string }
  | {
      kind: 's3';
      endpoint: string;
      region: string;
      bucket: string;
      prefix?: string;
      credentials?: AwsCredentials;
      addressing?: 'path' | 'virtual-hosted';
      verify?: 'checksum' | 'read-back';
      attempts?: number;
      baseDelayMs?: number;
      timeoutMs?: number;
    }
  | { kind: 'http'; url: string; secret: string; attempts?: number; baseDelayMs?: number; timeoutMs?: number };

/** The configured sink. A folder is the default; settings are checked here, so a bad one fails at start-up. */
export function createEvidenceSink(config: EvidenceSinkConfig): EvidenceSink {
  switch (config.kind) {
    case 'folder':
      return new FolderEvidenceSink(config.root);
    case 's3': {
      const { kind: _kind, ...options } = config;
      return new S3EvidenceSink(options);
    }
    case 'http': {
      const { kind: _kind, ...options } = config;
      return new HttpEvidenceSink(options);
    }
  }
}

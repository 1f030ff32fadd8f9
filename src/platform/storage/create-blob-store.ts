import path from 'node:path';
import type { BlobLock, BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

/** STORAGE_* settings (issue 15): where evidence files are kept, and how the store locks them. */
export interface StorageConfig {
  driver: 'local' | 's3';
  /** The local store's folder (`DATA_DIR/media`): the embedded default, and the source the `rvr storage move` command reads. */
  localRoot: string;
  /** The media node's scratch folder for segments still recording (`DATA_DIR/recording-scratch`). */
  scratchRoot: string;
  /** Object Lock mode for retention (`off`: the store keeps no lock of its own; the platform's rules still apply). */
  lockMode: BlobLock['mode'] | 'off';
  s3?: {
    bucket: string;
    region: string;
    endpoint?: string;
    prefix?: string;
    forcePathStyle?: boolean;
    sse: { kind: 'AES256' } | { kind: 'aws:kms'; kmsKeyId?: string };
    partSizeBytes: number;
  };
}

/** The configured store; S3 credentials come from the SDK's standard chain (environment, profile, web identity, instance role). */
export function createBlobStore(config: StorageConfig, now?: () => Date): BlobStore {
  if (config.driver === 's3' && config.s3) return new S3BlobStore({ ...config.s3, lockMode: config.lockMode, now });
  return new LocalBlobStore(path.resolve(config.localRoot), { lockMode: config.lockMode, now });
}

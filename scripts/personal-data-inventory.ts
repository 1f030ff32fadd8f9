/** Writes docs/personal-data-inventory.md from src/features/dpo/personal-data-inventory.ts (issue 16 §2). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderInventoryMarkdown } from '../src/features/dpo/personal-data-inventory.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
fs.writeFileSync(path.join(root, 'docs/personal-data-inventory.md'), renderInventoryMarkdown());

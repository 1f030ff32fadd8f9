import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // One schema file per feature (and the platform's own tables); one migration stream.
  schema: './src/**/*.schema.ts',
  out: './src/platform/db/migrations',
});

/**
 * The import rules of the house (ADR 0010), checked by `npm run lint` on the resolved import graph, type-only
 * imports included (tsPreCompilationDeps): the TypeScript source is read before types are erased.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle, type-only imports included, anywhere in src/ (composition root, platform, features, domain).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'evidence-through-the-store',
      severity: 'error',
      comment:
        'Issue 15 (ADR 0014): features read and write evidence files only through the BlobStore port, never the filesystem. The media worker writes its scratch segments (src/features/video/media); a node keeps its own id and cluster secret (not evidence) in DATA_DIR (src/features/media-nodes/node-config.ts, ADR 0013).',
      from: { path: '^src/features/', pathNot: ['^src/features/video/media/', '^src/features/media-nodes/node-config[.]ts$', '[.]test[.]ts$'] },
      to: { dependencyTypes: ['core'], path: '^(node:)?fs(/promises)?$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
  },
};

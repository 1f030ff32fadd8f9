// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const REPOSITORIES = ['src/**/*.repository.ts', 'src/**/*.queries.ts', 'src/**/*.schema.ts', 'src/platform/db/**'];
const ADR = 'See docs/adr/0010-the-house.md.';
const ONLY_REPOSITORIES_TOUCH_SQL = {
  group: ['drizzle-orm', 'drizzle-orm/*', 'pg', '@electric-sql/pglite'],
  message: `Only *.repository.ts files, cross-feature read models (*.queries.ts) and platform/db touch the database; *.schema.ts files declare its tables. ${ADR}`,
};
const DOMAIN_IS_PURE = [
  { regex: '^(?!node:crypto$)[^.]', message: `domain/ is pure: no package or Node module (node:crypto only), so no I/O. ${ADR}` },
  { regex: '^(\\.\\./)+(platform|features|cli|assets)/', message: `domain/ imports only domain/. ${ADR}` },
  { regex: '^(\\.\\./)+(composition|data-access|config|app|main|runtime)(\\.[jt]s)?$', message: `domain/ imports only domain/. ${ADR}` },
];
const PLATFORM_STANDS_ALONE = [
  { regex: '(^|/)features/', message: `platform/ never imports features/: declare a port in platform and let the feature implement it. ${ADR}` },
  {
    regex: '^(\\.\\./)+(composition|data-access)(\\.[jt]s)?$',
    message: `platform/ never imports the composition root: take a narrow port (e.g. UnitOfWork<{ audit: AuditRepository }>). ${ADR}`,
  },
];
const PLATFORM_TAKES_ITS_OWN_CONFIG = {
  regex: '^(\\.\\./)+config(\\.[jt]s)?$',
  message: `platform/ declares the slice of configuration it takes; config.ts imports platform, never the other way round. ${ADR}`,
};
/** From a file `depth` folders below src/features/: `../` × depth, then another feature's folder, then a repository. */
const notAnotherFeaturesRepository = (depth) => ({
  regex: `^(\\.\\./){${depth}}(?!\\.\\./)[^/]+/(.+/)?[^/]+\\.repository(\\.[jt]s)?$`,
  message: `A feature never imports another feature's repository: use that feature's service or exported types, or a read model (*.queries.ts) of your own. ${ADR}`,
});

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'test-results/', 'src/platform/db/migrations/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify plugins and hooks are async by convention, awaiting or not.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // The house rules (ADR 0010), as import zones. Each file gets one no-restricted-imports block (a later block
  // replaces an earlier one's options), so the zones below repeat the SQL rule where it applies.
  {
    files: ['src/**/*.ts'],
    ignores: REPOSITORIES,
    rules: { 'no-restricted-imports': ['error', { patterns: [ONLY_REPOSITORIES_TOUCH_SQL] }] },
  },
  {
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: DOMAIN_IS_PURE }] },
  },
  {
    files: ['src/platform/**/*.ts'],
    ignores: [...REPOSITORIES, '**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ONLY_REPOSITORIES_TOUCH_SQL, ...PLATFORM_STANDS_ALONE, PLATFORM_TAKES_ITS_OWN_CONFIG] }] },
  },
  {
    files: ['src/platform/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ONLY_REPOSITORIES_TOUCH_SQL, ...PLATFORM_STANDS_ALONE] }] },
  },
  {
    files: ['src/platform/**/*.repository.ts', 'src/platform/**/*.schema.ts', 'src/platform/db/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...PLATFORM_STANDS_ALONE, PLATFORM_TAKES_ITS_OWN_CONFIG] }] },
  },
  // A feature's files sit one to three folders deep (src/features/<feature>/[<part>/[<part>/]]file.ts); an import
  // climbing exactly to src/features/ and down into another folder there reaches another feature.
  ...[1, 2, 3].flatMap((depth) => {
    const files = [`src/features/*/${'*/'.repeat(depth - 1)}*.ts`];
    return [
      {
        files,
        ignores: REPOSITORIES,
        rules: { 'no-restricted-imports': ['error', { patterns: [ONLY_REPOSITORIES_TOUCH_SQL, notAnotherFeaturesRepository(depth)] }] },
      },
      {
        files: files.map((glob) => glob.replace(/\*\.ts$/, '*.repository.ts')),
        rules: { 'no-restricted-imports': ['error', { patterns: [notAnotherFeaturesRepository(depth)] }] },
      },
    ];
  }),
  {
    files: ['**/*.test.ts', 'test/**', 'e2e/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  { files: ['eslint.config.js', '.dependency-cruiser.cjs', 'bin/**'], ...tseslint.configs.disableTypeChecked },
  { files: ['.dependency-cruiser.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } } },
  {
    // The page scripts run in the browser: they take pure rules from domain/ and, as types only, the messages they
    // exchange with the server; nothing of the server's code or of Node reaches a bundle.
    files: ['src/browser/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Page scripts run in the browser: no Node modules.' },
            {
              group: ['../platform/*', '../features/**', '../composition.js', '../config.js'],
              allowTypeImports: true,
              message: 'Page scripts take only types from the server (e.g. features/video/signalling-messages.ts).',
            },
          ],
        },
      ],
    },
  },
);

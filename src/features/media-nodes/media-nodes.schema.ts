import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The nodes of one installation (issue 18 §2, ADR 0013): each `rvr` server process registers itself at start and
 * beats every few seconds. A call is owned by one media node; a node whose heartbeat lapsed is `gone`, and its open
 * calls are ended as interrupted by the reaper on any node.
 */
export const mediaNodes = pgTable(
  'media_nodes',
  {
    /** NODE_ID: stable across restarts, so a node finds its own calls and recordings again. */
    id: text('id').primaryKey(),
    /** NODE_INTERNAL_URL: where the other nodes reach this node's internal call socket. */
    internalUrl: text('internal_url').notNull(),
    /** NODE_ROLES: ['web'], ['media'] or both. */
    roles: jsonb('roles').$type<string[]>().notNull(),
    /** The most live calls placed on this node (MEDIA_NODE_CAPACITY). */
    capacity: integer('capacity').notNull(),
    /** Live calls in this node's rooms, as of its last heartbeat. */
    load: integer('load').notNull().default(0),
    /** active → draining (SIGTERM: no new calls) → gone (stopped, or its heartbeat lapsed). */
    state: text('state').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('media_nodes_state_idx').on(t.state)],
);

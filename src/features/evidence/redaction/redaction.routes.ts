import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../composition.js';
import { hasPermission } from '../../../domain/permissions.js';
import { ValidationError } from '../../../platform/errors.js';
import { contextOf, redirectTo } from '../../../platform/http/access.js';
import type { MediaFacts } from '../../../platform/media/redaction.js';
import { AUDIO_ROWS, CUT_ROWS, planToForm, REGION_ROWS, type RedactionFormBody } from './redaction-form.js';
import { UNFINISHED_REDACTION_STATES, type RedactionDecision } from './redaction.service.js';
import type { SuggestedRedactionRange } from './suggested-ranges.js';

const uuid = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
const grantText = { type: 'string', maxLength: 200 } as const;
const field = { type: 'string', maxLength: 300 } as const;

const rowFields = (prefix: string, count: number, names: string[]): Record<string, typeof field> => {
  const fields: Record<string, typeof field> = {};
  for (let i = 0; i < count; i++) for (const name of names) fields[`${prefix}${i}_${name}`] = field;
  return fields;
};
const formBody = {
  type: 'object',
  properties: {
    _csrf: { type: 'string' },
    grant: grantText,
    action: { enum: ['preview', 'request'] },
    previewAt: field,
    purpose: { type: 'string', maxLength: 2000 },
    ...rowFields('r', REGION_ROWS, ['start', 'end', 'x', 'y', 'w', 'h', 'effect', 'reason']),
    ...rowFields('a', AUDIO_ROWS, ['start', 'end', 'effect', 'reason']),
    ...rowFields('c', CUT_ROWS, ['start', 'end', 'reason']),
  },
  additionalProperties: false,
} as const;
const newQuery = { type: 'object', required: ['grant'], properties: { grant: grantText, suggest: { enum: ['yes'] } } } as const;
const stillQuery = {
  type: 'object',
  required: ['grant'],
  properties: { grant: grantText, t: { type: 'string', maxLength: 20 }, boxes: { type: 'string', maxLength: 400 } },
} as const;
const decisionBody = {
  type: 'object',
  required: ['decision'],
  properties: { _csrf: { type: 'string' }, decision: { enum: ['approve', 'reject'] }, reason: { type: 'string', maxLength: 2000 } },
} as const;

const MAX_BOXES = 10;

/** `x,y,w,h,effect;…` from the preview image's URL: the boxes active at the still's moment. */
function parseBoxes(text: string | undefined) {
  if (!text) return [];
  const boxes = text.split(';').map((part) => {
    const [x, y, width, height, effect] = part.split(',');
    const numbers = [x, y, width, height].map((v) => (/^\d{1,5}$/.test(v ?? '') ? Number(v) : NaN));
    if (numbers.some(Number.isNaN)) throw new ValidationError('Boxes are x,y,w,h,effect in whole pixels', { boxes: 'Use whole pixels' });
    return { x: numbers[0]!, y: numbers[1]!, width: numbers[2]!, height: numbers[3]!, effect: effect === 'black' ? ('black' as const) : ('blur' as const) };
  });
  if (boxes.length > MAX_BOXES) throw new ValidationError('Too many boxes', { boxes: `At most ${MAX_BOXES}` });
  return boxes;
}

/** Suggested ranges (the call's "others present" marks) as form rows: a box over the whole frame to start from. */
function suggestionRows(suggestions: SuggestedRedactionRange[], facts: MediaFacts): RedactionFormBody {
  const form: RedactionFormBody = {};
  suggestions.slice(0, REGION_ROWS).forEach((s, i) => {
    Object.assign(form, {
      [`r${i}_start`]: String(s.startSeconds),
      [`r${i}_end`]: String(Math.min(s.endSeconds, facts.durationSeconds ?? s.endSeconds)),
      [`r${i}_x`]: '0',
      [`r${i}_y`]: '0',
      [`r${i}_w`]: String(facts.width ?? ''),
      [`r${i}_h`]: String(facts.height ?? ''),
      [`r${i}_effect`]: 'blur',
      [`r${i}_reason`]: s.label,
    });
  });
  return form;
}

/** Redacted copies for disclosure (EVD-08, EVD-09, issue 15 §2): the form with its preview, progress, the second person's decision. */
export function redactionRoutes(services: Services): FastifyPluginAsync {
  const service = () => services.evidenceRedaction;

  const showForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    itemId: string,
    grant: string,
    values: RedactionFormBody,
    extra: { errors?: Record<string, string>; previewAt?: string; previewBoxes?: string; status?: number; suggest?: boolean } = {},
  ) => {
    const { item, facts, suggestions } = await service().form(contextOf(request), itemId, grant);
    const form = extra.suggest ? { ...suggestionRows(suggestions, facts), ...values } : values;
    const errors = extra.errors ?? {};
    return reply.code(extra.status ?? 200).view('evidence/redaction/redaction-form.njk', {
      pageTitle: `Redact ${item.label}`,
      item,
      facts,
      suggestions,
      grant,
      grantParam: encodeURIComponent(grant),
      form,
      errors,
      errorList: Object.entries(errors).map(([key, text]) => ({ text, href: `#${key}` })),
      regionRows: Array.from({ length: REGION_ROWS }, (_, i) => i),
      audioRows: Array.from({ length: AUDIO_ROWS }, (_, i) => i),
      cutRows: Array.from({ length: CUT_ROWS }, (_, i) => i),
      previewAt: extra.previewAt,
      previewBoxes: extra.previewBoxes,
    });
  };

  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/evidence/items/:id/redactions',
      { config: { access: { permission: 'evidence.list' }, caseOf: 'evidence_item' }, schema: { params: idParams } },
      async (request, reply) => {
        const { item, redactions } = await service().forItem(request.params.id);
        return reply.view('evidence/redaction/item-redactions.njk', {
          pageTitle: `Redacted copies of ${item.label}`,
          item,
          redactions,
          busy: redactions.some((r) => UNFINISHED_REDACTION_STATES.includes(r.state)),
          canRedact: hasPermission(request.user!.roles, 'evidence.redact'),
        });
      },
    );

    app.get<{ Params: { id: string }; Querystring: { grant: string; suggest?: 'yes' } }>(
      '/evidence/items/:id/redactions/new',
      { config: { access: { permission: 'evidence.redact' }, caseOf: 'evidence_item' }, schema: { params: idParams, querystring: newQuery } },
      async (request, reply) => showForm(request, reply, request.params.id, request.query.grant, {}, { suggest: request.query.suggest === 'yes' }),
    );

    app.get<{ Params: { id: string }; Querystring: { grant: string; t?: string; boxes?: string } }>(
      '/evidence/items/:id/redactions/still',
      { config: { access: { permission: 'evidence.redact' }, caseOf: 'evidence_item' }, schema: { params: idParams, querystring: stillQuery } },
      async (request, reply) => {
        const at = Number(request.query.t ?? '0');
        if (!Number.isFinite(at) || at < 0) throw new ValidationError('Give the time in seconds', { at: 'Give the time in seconds' });
        const image = await service().still(contextOf(request), request.params.id, request.query.grant, at, parseBoxes(request.query.boxes));
        return reply.header('cache-control', 'private, no-store').type('image/jpeg').send(image);
      },
    );

    app.post<{ Params: { id: string }; Body: RedactionFormBody & { grant?: string; action?: 'preview' | 'request'; previewAt?: string } }>(
      '/evidence/items/:id/redactions',
      { config: { access: { permission: 'evidence.redact' }, caseOf: 'evidence_item' }, schema: { params: idParams, body: formBody } },
      async (request, reply) => {
        const { grant = '', action = 'request', previewAt, ...values } = request.body;
        const context = contextOf(request);
        if (action === 'preview') {
          const checked = await service().check(context, request.params.id, grant, values);
          const at = Number(previewAt || checked.plan.regions[0]?.startSeconds || 0);
          const errors = { ...checked.errors };
          if (!Number.isFinite(at) || at < 0 || (checked.facts.durationSeconds !== undefined && at > checked.facts.durationSeconds))
            errors.previewAt = 'Choose a moment within the recording, in seconds';
          const boxes = checked.plan.regions
            .filter((r) => checked.plan.media === 'image' || (r.startSeconds <= at && at <= r.endSeconds))
            .map((r) => `${r.x},${r.y},${r.width},${r.height},${r.effect}`)
            .join(';');
          const invalid = Object.keys(errors).length > 0;
          return showForm(
            request,
            reply,
            request.params.id,
            grant,
            { ...values, previewAt: String(at) },
            {
              errors,
              status: invalid ? 400 : 200,
              previewAt: errors.previewAt ? undefined : String(at),
              previewBoxes: boxes,
            },
          );
        }
        try {
          const redaction = await service().request(context, request.params.id, grant, values);
          return redirectTo(reply, `/evidence/redactions/${redaction.id}`);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { redactions: error.message };
          return showForm(request, reply, request.params.id, grant, values, { errors, status: 400 });
        }
      },
    );

    app.get<{ Params: { id: string } }>(
      '/evidence/redactions/:id',
      { config: { access: { permission: 'evidence.list' }, caseOf: 'redaction' }, schema: { params: idParams } },
      async (request, reply) => {
        const view = await service().get(request.params.id);
        return reply.view('evidence/redaction/redaction.njk', {
          pageTitle: 'Redacted copy',
          ...view,
          form: planToForm(view.stored.plan, view.stored.purpose),
          busy: UNFINISHED_REDACTION_STATES.includes(view.redaction.state),
          canDecide: hasPermission(request.user!.roles, 'evidence.redact') && view.redaction.requestedBy !== request.user!.id,
          isRequester: view.redaction.requestedBy === request.user!.id,
        });
      },
    );

    app.post<{ Params: { id: string }; Body: { decision: RedactionDecision; reason?: string } }>(
      '/evidence/redactions/:id/decision',
      { config: { access: { permission: 'evidence.redact' }, caseOf: 'redaction' }, schema: { params: idParams, body: decisionBody } },
      async (request, reply) => {
        try {
          await service().decide(contextOf(request), request.params.id, request.body.decision, request.body.reason ?? '');
          return redirectTo(reply, `/evidence/redactions/${request.params.id}`);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          const view = await service().get(request.params.id);
          return reply.code(400).view('evidence/redaction/redaction.njk', {
            pageTitle: 'Redacted copy',
            ...view,
            form: planToForm(view.stored.plan, view.stored.purpose),
            busy: false,
            canDecide: true,
            isRequester: false,
            errors: error.fieldErrors,
            decision: request.body.decision,
          });
        }
      },
    );
  };
}

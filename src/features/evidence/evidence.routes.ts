import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../composition.js';
import { EXPORT_CARRIES, type ExportCarry } from '../../config.js';
import { holdReleaseRefusal } from '../../domain/hold-release.js';
import { hasPermission } from '../../domain/permissions.js';
import { HOLD_TYPES, NRAC_QUESTIONS, type CaseStatus, type MopiGroup, type NracAnswers } from '../../domain/retention.js';
import { ValidationError } from '../../platform/errors.js';
import { contextOf, redirectTo } from '../../platform/http/access.js';
import type { EvidenceContent } from './evidence-access.service.js';
import { UNFINISHED_TASK_STATES } from './evidence-work.service.js';
import {
  EVIDENCE_KIND_LABELS,
  EVIDENCE_PAGE_SIZE,
  EVIDENCE_STATE_LABELS,
  evidenceListHref,
  parseEvidenceList,
  selectedFilterCategories,
  type EvidenceListQuery,
} from './evidence-list.js';
import type { DisposalOutcome } from './evidence-disposal.service.js';

const uuid = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
const reasonText = { type: 'string', maxLength: 2000 } as const;
const csrf = { _csrf: { type: 'string' } } as const;
const openBody = { type: 'object', properties: { justification: reasonText, ...csrf } } as const;
const downloadBody = { type: 'object', properties: { justification: reasonText, recipient: { type: 'string', maxLength: 300 }, ...csrf } } as const;
const restrictionBody = { type: 'object', required: ['restricted'], properties: { restricted: { enum: ['yes', 'no'] }, reason: reasonText, ...csrf } } as const;
const holdBody = { type: 'object', properties: { type: { type: 'string', maxLength: 40 }, rationale: reasonText, ...csrf } } as const;
const releaseBody = { type: 'object', properties: { rationale: reasonText, ...csrf } } as const;
const dateText = { type: 'string', maxLength: 10 } as const;
const retentionBody = {
  type: 'object',
  properties: {
    evidential: { enum: ['yes', 'no'] },
    mopiGroup: { enum: ['', 'group1', 'group2', 'group3', 'undetected'] },
    caseStatus: { enum: ['under_investigation', 'nfa', 'charged', 'acquitted', 'convicted', 'appeal_pending'] },
    statusDate: dateText,
    custodial: { enum: ['yes', 'no'] },
    releaseDate: dateText,
    complaintOrClaim: { enum: ['yes', 'no'] },
    subjectDateOfBirth: dateText,
    childUnder10: { enum: ['yes', 'no'] },
    newInformationAt: dateText,
    ...csrf,
  },
} as const;
const nracProperties = Object.fromEntries(NRAC_QUESTIONS.map((q) => [q.id, { enum: ['yes', 'no'] }]));
const reviewBody = { type: 'object', properties: { ...nracProperties, rationale: reasonText, ...csrf } } as const;
const disposalBody = { type: 'object', required: ['mode'], properties: { mode: { enum: ['dry_run', 'dispose'] }, ...csrf } } as const;
const listQuery = {
  type: 'object',
  properties: Object.fromEntries(['reference', 'from', 'to', 'type', 'status', 'officer', 'hold', 'page', 'restricted'].map((k) => [k, { type: 'string' }])),
} as const;
const mediaQuery = { type: 'object', required: ['grant'], properties: { grant: { type: 'string', maxLength: 200 } } } as const;

type RetentionForm = {
  evidential?: 'yes' | 'no';
  mopiGroup?: string;
  caseStatus?: CaseStatus['kind'];
  statusDate?: string;
  custodial?: 'yes' | 'no';
  releaseDate?: string;
  complaintOrClaim?: 'yes' | 'no';
  subjectDateOfBirth?: string;
  childUnder10?: 'yes' | 'no';
  newInformationAt?: string;
};

function parseDay(value: string | undefined, field: string, label: string): Date {
  const date = new Date(`${value}T12:00:00Z`);
  // A real calendar day only: 2026-02-31 must not quietly become 3 March.
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value)
    throw new ValidationError(`Enter the ${label} as a real date, YYYY-MM-DD`, { [field]: `Enter the ${label} as a real date, YYYY-MM-DD` });
  return date;
}

/** The CPIA case status from the form (RET-17/RET-18): the dates each status needs are required. */
function parseCaseStatus(form: RetentionForm): CaseStatus {
  switch (form.caseStatus ?? 'under_investigation') {
    case 'nfa':
      return { kind: 'nfa', decidedAt: parseDay(form.statusDate, 'statusDate', 'date of the decision') };
    case 'acquitted':
      return { kind: 'acquitted', at: parseDay(form.statusDate, 'statusDate', 'date of the acquittal') };
    case 'convicted': {
      const custodial = form.custodial === 'yes';
      return {
        kind: 'convicted',
        at: parseDay(form.statusDate, 'statusDate', 'date of the conviction'),
        custodial,
        releaseDate: custodial && form.releaseDate ? parseDay(form.releaseDate, 'releaseDate', 'release date') : undefined,
      };
    }
    case 'charged':
      return { kind: 'charged' };
    case 'appeal_pending':
      return { kind: 'appeal_pending' };
    default:
      return { kind: 'under_investigation' };
  }
}

/** Serves an item's content with HTTP range support (ranged reads from the store), so recordings seek in the browser's player. */
async function sendContentRange(request: FastifyRequest, reply: FastifyReply, content: EvidenceContent, mediaType: string) {
  const { size } = content;
  reply.header('accept-ranges', 'bytes').header('cache-control', 'private, no-store').type(mediaType);
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
  if (!range || (!range[1] && !range[2])) return reply.header('content-length', size).send(await content.read());
  let start = range[1] ? Number(range[1]) : size - Number(range[2]);
  let end = range[1] && range[2] ? Number(range[2]) : size - 1;
  start = Math.max(0, start);
  end = Math.min(end, size - 1);
  if (start > end || start >= size) return reply.code(416).header('content-range', `bytes */${size}`).send();
  return reply
    .code(206)
    .header('content-range', `bytes ${start}-${end}/${size}`)
    .header('content-length', end - start + 1)
    .send(await content.read({ start, end }));
}

/** Evidence: the list, each item opened with a reason, playback, disclosure, holds, restriction, retention and disposal. */
export function evidenceRoutes(services: Services): FastifyPluginAsync {
  const abilities = (request: FastifyRequest) => {
    const roles = request.user!.roles;
    return {
      canView: hasPermission(roles, 'evidence.view'),
      canDisclose: hasPermission(roles, 'evidence.disclose'),
      canRetain: hasPermission(roles, 'evidence.retention'),
      canCopy: hasPermission(roles, 'evidence.copy'),
      canExport: hasPermission(roles, 'evidence.export'),
      canRedact: hasPermission(roles, 'evidence.redact'),
      canHold: hasPermission(roles, 'evidence.hold'),
      canRestrict: hasPermission(roles, 'evidence.restrict'),
      // Issue 16 §3: a supervisor gives the case to investigators from here.
      canAssignCase: hasPermission(roles, 'case.assign'),
    };
  };
  return async (app) => {
    // Issue 15 §4: search and filters are plain text here and checked by parseEvidenceList, so a bad value is shown
    // beside its field on the page (never a 400 or a 500).
    app.get<{ Querystring: EvidenceListQuery }>(
      '/evidence',
      { config: { access: { permission: 'evidence.list' } }, schema: { querystring: listQuery } },
      async (request, reply) => {
        const can = abilities(request);
        const includeRestricted = can.canRestrict && request.query.restricted === 'show';
        const parsed = parseEvidenceList(request.query);
        const [list, failures, due, disposals] = await Promise.all([
          services.evidence.access.list({ ...parsed.search, includeRestricted }),
          services.evidence.disposal.integrityFailures(),
          can.canRetain ? services.evidence.retention.reviewQueue() : Promise.resolve([]),
          can.canRetain ? services.evidence.disposal.listDisposals() : Promise.resolve([]),
        ]);
        const keep: Record<string, string> = includeRestricted ? { restricted: 'show' } : {};
        const here = { ...parsed.values, ...keep };
        const pages = Math.max(1, Math.ceil(list.total / EVIDENCE_PAGE_SIZE));
        const errorList = Object.entries(parsed.errors).map(([field, text]) => ({ text, href: `#${field}` }));
        // A filter with a problem is left out and reported; the page (200) still lists what the others match.
        return reply.view('evidence/evidence-list.njk', {
          pageTitle: errorList.length > 0 ? 'Error: Evidence' : 'Evidence',
          ...list,
          values: parsed.values,
          errors: parsed.errors,
          errorList,
          selectedFilters: selectedFilterCategories(parsed.values, parsed.errors, list.officers, keep),
          clearFiltersHref: evidenceListHref(keep),
          kindLabels: EVIDENCE_KIND_LABELS,
          stateLabels: EVIDENCE_STATE_LABELS,
          page: parsed.page,
          pages,
          firstShown: list.total === 0 ? 0 : (parsed.page - 1) * EVIDENCE_PAGE_SIZE + 1,
          lastShown: Math.min(list.total, parsed.page * EVIDENCE_PAGE_SIZE),
          previousHref: parsed.page > 1 ? evidenceListHref(here, { page: String(parsed.page - 1) }) : undefined,
          nextHref: parsed.page < pages ? evidenceListHref(here, { page: String(parsed.page + 1) }) : undefined,
          restrictedToggleHref: evidenceListHref(parsed.values, includeRestricted ? {} : { restricted: 'show' }),
          failures,
          due,
          disposals,
          includeRestricted,
          ...can,
        });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/evidence/items/:id',
      { config: { access: { permission: 'evidence.list' }, caseOf: 'evidence_item' }, schema: { params: idParams } },
      async (request, reply) => {
        const { item, consultation } = await services.evidence.access.itemHeader(request.params.id);
        return reply.view('evidence/item-open.njk', { pageTitle: 'Open evidence item', item, consultation, ...abilities(request) });
      },
    );

    app.post<{ Params: { id: string }; Body: { justification?: string } }>(
      '/evidence/items/:id/open',
      { config: { access: { permission: 'evidence.view' }, caseOf: 'evidence_item' }, schema: { params: idParams, body: openBody } },
      async (request, reply) => {
        let opened: { grant: string };
        try {
          opened = await services.evidence.access.open(contextOf(request), request.params.id, request.body.justification ?? '');
        } catch (error) {
          // Issue 15 §4: no (or too short a) reason shows the form again, the error beside the field and the text kept.
          if (!(error instanceof ValidationError)) throw error;
          const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { justification: error.message };
          const { item, consultation } = await services.evidence.access.itemHeader(request.params.id);
          return reply.code(400).view('evidence/item-open.njk', {
            pageTitle: 'Error: Open evidence item',
            item,
            consultation,
            errors,
            justification: request.body.justification ?? '',
            ...abilities(request),
          });
        }
        const { grant } = opened;
        const record = await services.evidence.access.itemRecord(request.params.id);
        return reply.view('evidence/item.njk', {
          pageTitle: record.item.label,
          ...record,
          grant: encodeURIComponent(grant),
          justification: request.body.justification,
          holdTypes: HOLD_TYPES,
          ...abilities(request),
        });
      },
    );

    app.get<{ Params: { id: string }; Querystring: { grant: string } }>(
      '/evidence/items/:id/media',
      { config: { access: { permission: 'evidence.view' }, caseOf: 'evidence_item' }, schema: { params: idParams, querystring: mediaQuery } },
      async (request, reply) => {
        const { content, item } = await services.evidence.access.playback(contextOf(request), request.params.id, request.query.grant);
        return sendContentRange(request, reply, content, item.mediaType);
      },
    );

    app.post<{ Params: { id: string }; Body: { justification?: string; recipient?: string } }>(
      '/evidence/items/:id/download',
      { config: { access: { permission: 'evidence.disclose' }, caseOf: 'evidence_item', stepUp: true }, schema: { params: idParams, body: downloadBody } },
      async (request, reply) => {
        const { item, content } = await services.evidence.access.download(contextOf(request), request.params.id, request.body);
        const extension = item.fileKey.split('.').pop();
        reply.header('content-disposition', `attachment; filename="evidence-${item.id}.${extension}"`).header('x-content-sha256', item.sha256);
        return sendContentRange(request, reply, content, item.mediaType);
      },
    );

    app.post<{ Params: { id: string }; Body: { restricted: 'yes' | 'no'; reason?: string } }>(
      '/evidence/items/:id/restriction',
      { config: { access: { permission: 'evidence.restrict' }, caseOf: 'evidence_item' }, schema: { params: idParams, body: restrictionBody } },
      async (request, reply) => {
        await services.evidence.holds.setRestricted(contextOf(request), request.params.id, request.body.restricted === 'yes', request.body.reason ?? '');
        return redirectTo(reply, `/evidence/items/${request.params.id}`);
      },
    );

    app.get<{ Params: { id: string } }>(
      '/evidence/consultations/:id',
      { config: { access: { permission: 'evidence.list' }, caseOf: 'consultation' }, schema: { params: idParams } },
      async (request, reply) => {
        const record = await services.evidence.access.consultationRecord(request.params.id);
        const tasks = await services.evidenceWork.tasks(request.params.id);
        const releaser = { userId: request.user!.id, roles: request.user!.roles };
        return reply.view('evidence/consultation-evidence.njk', {
          pageTitle: `Evidence for ${record.consultation.reference}`,
          ...record,
          holds: record.holds.map((hold) => ({ ...hold, releaseRefusal: hold.releasedAt ? undefined : holdReleaseRefusal(hold, releaser) })),
          tasks,
          defaultCarry: await services.evidenceWork.defaultCarry(request.params.id),
          busy: tasks.some((task) => UNFINISHED_TASK_STATES.includes(task.state)),
          holdTypes: HOLD_TYPES,
          nracQuestions: NRAC_QUESTIONS,
          ...abilities(request),
        });
      },
    );

    app.post<{ Params: { id: string }; Body: { justification?: string } }>(
      '/evidence/consultations/:id/play',
      { config: { access: { permission: 'evidence.view' }, caseOf: 'consultation' }, schema: { params: idParams, body: openBody } },
      async (request, reply) => {
        const played = await services.evidence.access.openRecordings(contextOf(request), request.params.id, request.body.justification ?? '');
        return reply.view('evidence/call-player.njk', { pageTitle: 'Play the call', ...played, justification: request.body.justification });
      },
    );

    app.post<{ Params: { id: string }; Body: { type?: string; rationale?: string } }>(
      '/evidence/consultations/:id/holds',
      { config: { access: { permission: 'evidence.hold' }, caseOf: 'consultation' }, schema: { params: idParams, body: holdBody } },
      async (request, reply) => {
        await services.evidence.holds.placeHold(contextOf(request), request.params.id, request.body);
        return redirectTo(reply, `/evidence/consultations/${request.params.id}`);
      },
    );

    app.post<{ Params: { id: string }; Body: { rationale?: string } }>(
      '/evidence/holds/:id/release',
      { config: { access: { permission: 'evidence.hold' }, stepUp: true }, schema: { params: idParams, body: releaseBody } },
      async (request, reply) => {
        const hold = await services.evidence.holds.releaseHold(contextOf(request), request.params.id, request.body.rationale ?? '');
        return redirectTo(reply, `/evidence/consultations/${hold.consultationId}`);
      },
    );

    app.post<{ Params: { id: string }; Body: RetentionForm }>(
      '/evidence/consultations/:id/retention',
      { config: { access: { permission: 'evidence.retention' }, caseOf: 'consultation' }, schema: { params: idParams, body: retentionBody } },
      async (request, reply) => {
        const form = request.body;
        await services.evidence.retention.setRetentionFacts(contextOf(request), request.params.id, {
          evidential: form.evidential !== 'no',
          mopiGroup: (form.mopiGroup || undefined) as MopiGroup | undefined,
          caseStatus: parseCaseStatus(form),
          complaintOrClaim: form.complaintOrClaim === 'yes',
          // RET-08 / RET-06 / RET-12: records staff enter these here; a blank date of birth clears it, a blank new-information date adds none.
          subjectDateOfBirth: form.subjectDateOfBirth ? parseDay(form.subjectDateOfBirth, 'subjectDateOfBirth', 'date of birth') : null,
          childUnder10: form.childUnder10 === 'yes',
          newInformationAt: form.newInformationAt ? parseDay(form.newInformationAt, 'newInformationAt', 'date the new information arrived') : undefined,
        });
        return redirectTo(reply, `/evidence/consultations/${request.params.id}`);
      },
    );

    app.post<{ Params: { id: string }; Body: Record<string, string | undefined> }>(
      '/evidence/consultations/:id/reviews',
      { config: { access: { permission: 'evidence.retention' }, caseOf: 'consultation' }, schema: { params: idParams, body: reviewBody } },
      async (request, reply) => {
        const unanswered = NRAC_QUESTIONS.filter((q) => !request.body[q.id]);
        if (unanswered.length > 0)
          throw new ValidationError('Answer every NRAC question', Object.fromEntries(unanswered.map((q) => [q.id, 'Answer yes or no'])));
        const answers = Object.fromEntries(NRAC_QUESTIONS.map((q) => [q.id, request.body[q.id] === 'yes'])) as NracAnswers;
        await services.evidence.retention.recordReview(contextOf(request), request.params.id, answers, request.body.rationale ?? '');
        return redirectTo(reply, `/evidence/consultations/${request.params.id}`);
      },
    );

    app.post<{ Params: { id: string } }>(
      '/evidence/consultations/:id/working-copies',
      {
        config: { access: { permission: 'evidence.copy' }, caseOf: 'consultation' },
        schema: { params: idParams, body: { type: 'object', properties: { ...csrf } } },
      },
      async (request, reply) => {
        await services.evidenceWork.requestWorkingCopy(contextOf(request), request.params.id);
        return redirectTo(reply, `/evidence/consultations/${request.params.id}`);
      },
    );

    app.post<{ Params: { id: string }; Body: { carry?: ExportCarry | 'default' } }>(
      '/evidence/consultations/:id/exports',
      {
        config: { access: { permission: 'evidence.export' }, caseOf: 'consultation', stepUp: true },
        // EVD-08 (ADR 0015): the disclosure officer's choice of approved redacted copies, masters or both; else the default.
        schema: { params: idParams, body: { type: 'object', properties: { carry: { enum: ['default', ...EXPORT_CARRIES] }, ...csrf } } },
      },
      async (request, reply) => {
        const carry = request.body.carry === 'default' ? undefined : request.body.carry;
        await services.evidenceWork.requestExport(contextOf(request), request.params.id, carry);
        return redirectTo(reply, `/evidence/consultations/${request.params.id}`);
      },
    );

    // Progress of a working copy or export, for the case page's refresh and for scripts.
    app.get<{ Params: { id: string } }>(
      '/evidence/tasks/:id',
      { config: { access: { permission: 'evidence.list' }, caseOf: 'evidence_task' }, schema: { params: idParams } },
      async (request) => {
        const task = await services.evidenceWork.task(request.params.id);
        return {
          id: task.id,
          kind: task.kind,
          state: task.state,
          progress: task.progress,
          error: task.error,
          resultItemId: task.resultItemId,
          manifestSha256: task.manifestSha256,
        };
      },
    );

    app.post<{ Body: { mode: 'dry_run' | 'dispose' } }>(
      '/evidence/disposals',
      { config: { access: { permission: 'evidence.retention' }, stepUp: true }, schema: { body: disposalBody } },
      async (request, reply) => {
        const outcome = await services.evidence.disposal.dispose(contextOf(request), { dryRun: request.body.mode === 'dry_run' });
        return redirectTo(reply, `/evidence/disposals/${outcome.disposalId}`);
      },
    );

    app.get<{ Params: { id: string } }>(
      '/evidence/disposals/:id',
      { config: { access: { permission: 'evidence.retention' } }, schema: { params: idParams } },
      async (request, reply) => {
        const disposal = await services.evidence.disposal.certificate(request.params.id);
        // Issue 16 §2: the erasures, the erasures still waiting and the items the store's lock kept, as the certificate says.
        const issued = JSON.parse(disposal.certificate) as Partial<Pick<DisposalOutcome, 'erasures' | 'wouldErase' | 'pendingErasures'>>;
        return reply.view('evidence/disposal.njk', { pageTitle: disposal.dryRun ? 'Disposal dry run' : 'Disposal certificate', disposal, issued });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/evidence/disposals/:id/certificate',
      { config: { access: { permission: 'evidence.retention' } }, schema: { params: idParams } },
      async (request, reply) => {
        const disposal = await services.evidence.disposal.certificate(request.params.id);
        reply
          .header('content-disposition', `attachment; filename="disposal-certificate-${disposal.id}.json"`)
          .header('x-content-sha256', disposal.certificateSha256);
        return reply.type('application/json; charset=utf-8').send(disposal.certificate);
      },
    );

    app.post(
      '/evidence/integrity-check',
      { config: { access: { permission: 'evidence.retention' } }, schema: { body: { type: 'object', properties: { ...csrf } } } },
      async (_request, reply) => {
        await services.evidence.disposal.checkIntegrity();
        return redirectTo(reply, '/evidence');
      },
    );
  };
}

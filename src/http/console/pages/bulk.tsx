import type { Hono } from 'hono';
import type { ApiAnswer } from '../api.js';
import { failure, field, page, redirectWith, type ConsoleContext, type ConsoleEnv, type PageStatus } from '../context.js';
import { Csrf, Empty, ProblemBox, Select, Status, Table, When } from '../ui.js';

interface Job {
  id: string;
  status: 'running' | 'completed' | 'failed';
  mode: string;
  format: string;
  merchantId: string;
  total: number;
  succeeded: number;
  failed: number;
  rows: Array<{ row: number; ok: boolean; error?: string }>;
  rowsTruncated: boolean;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

const csvCell = (value: unknown) => {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Bulk jobs: upload a CSV or NDJSON file, watch its progress (htmx polls while it runs), read and download the row report. */
export function bulkPages(app: Hono<ConsoleEnv>) {
  const uploadPage = (c: ConsoleContext, error?: ApiAnswer) => {
    const v = c.get('view');
    return page(
      c,
      v.t('bulk.title'),
      <>
        {error ? <ProblemBox v={v} problem={error.body} /> : null}
        <section>
          <h2>{v.t('bulk.upload')}</h2>
          <form method="post" action="/admin/bulk" enctype="multipart/form-data" class="stack" data-form="bulk">
            <Csrf v={v} />
            <label>
              {v.t('bulk.file')}
              <input type="file" name="file" accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson" required />
            </label>
            <Select name="mode" label={v.t('bulk.mode')} value="create" options={[['create', v.t('bulk.create')], ['update', v.t('bulk.update')]]} />
            <p>
              <button type="submit">{v.t('bulk.upload')}</button>
            </p>
          </form>
          <p class="muted">
            CSV / NDJSON: <a href="/docs#tag/Product-center">/docs</a> (POST /api/v1/admin/products/bulk)
          </p>
        </section>
      </>,
      error ? (error.status as PageStatus) : 200,
    );
  };

  app.get('/bulk', (c) => uploadPage(c));

  app.post('/bulk', async (c) => {
    const form = await c.req.parseBody();
    const file = form.file;
    if (!(file instanceof File) || file.size === 0) return uploadPage(c, { status: 400, ok: false, headers: new Headers(), body: { status: 400, code: 'VALIDATION_FAILED', detail: c.get('view').t('bulk.file') } });
    const ndjson = /\.(ndjson|jsonl)$/i.test(file.name) || file.type.includes('ndjson');
    const mode = field(form, 'mode') === 'update' ? 'update' : 'create';
    const answer = await c.get('api').call('POST', `/api/v1/admin/products/bulk?mode=${mode}`, {
      raw: await file.arrayBuffer(),
      contentType: ndjson ? 'application/x-ndjson' : 'text/csv',
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    if (!answer.ok) return uploadPage(c, answer);
    return redirectWith(c, `/admin/bulk/${encodeURIComponent(answer.body.jobId)}`, 'info', 'bulk.progress');
  });

  app.get('/bulk/:id', async (c) => {
    const v = c.get('view');
    const id = c.req.param('id');
    const answer = await c.get('api').get(`/api/v1/admin/jobs/${encodeURIComponent(id)}`);
    if (!answer.ok) return failure(c, v.t('bulk.title'), answer, '/admin/bulk');
    const job = answer.body as Job;
    const running = job.status === 'running';
    const self = `/admin/bulk/${encodeURIComponent(job.id)}`;
    return page(
      c,
      `${v.t('bulk.title')} ${job.id}`,
      <div id="job" data-job-status={job.status} {...(running ? { 'hx-get': self, 'hx-trigger': 'every 1s', 'hx-select': '#job', 'hx-swap': 'outerHTML' } : {})}>
        <section>
          <h2>{v.t('bulk.progress')}</h2>
          <p>
            <Status v={v} value={job.status} /> {job.mode} · {job.format} · {job.merchantId} · <When at={job.startedAt} />
          </p>
          <progress max={Math.max(job.total, 1)} value={running ? job.succeeded + job.failed : Math.max(job.total, 1)} aria-label={v.t('bulk.progress')}></progress>
          <p data-counts>
            {v.t('common.total')}: <span data-total>{job.total}</span> · ✔ <span data-succeeded>{job.succeeded}</span> · ✘ <span data-failed>{job.failed}</span>
          </p>
          {job.error ? <p class="flash bad">{job.error}</p> : null}
        </section>
        <section>
          <h2>{v.t('bulk.rows')}</h2>
          {job.rows.length === 0 ? (
            <Empty v={v} />
          ) : (
            <Table id="job-rows" headings={[v.t('bulk.row'), v.t('bulk.result')]}>
              {job.rows.map((r) => (
                <tr data-row={r.row}>
                  <td class="num">{r.row}</td>
                  <td>{r.ok ? '✔' : r.error}</td>
                </tr>
              ))}
            </Table>
          )}
          {job.rowsTruncated ? <p class="muted">…</p> : null}
          <p>
            <a href={`${self}/report.csv`} download={`job-${job.id}.csv`}>
              {v.t('bulk.download')}
            </a>
          </p>
        </section>
      </div>,
    );
  });

  app.get('/bulk/:id/report.csv', async (c) => {
    const answer = await c.get('api').get(`/api/v1/admin/jobs/${encodeURIComponent(c.req.param('id'))}`);
    if (!answer.ok) return c.text(answer.body?.detail ?? 'not found', answer.status === 404 ? 404 : 502);
    const job = answer.body as Job;
    const lines = ['row,ok,error', ...job.rows.map((r) => [r.row, r.ok, r.error ?? ''].map(csvCell).join(','))];
    return c.body(`${lines.join('\n')}\n`, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="job-${job.id}.csv"`, 'Cache-Control': 'no-store' });
  });
}

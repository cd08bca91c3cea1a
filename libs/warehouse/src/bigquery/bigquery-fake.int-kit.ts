import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake received it: what the tests assert on. */
export interface RecordedRequest {
  method: string;
  /** Path below [/bigquery/v2]/projects/<project>, e.g. `/jobs` or `/datasets/pulse_acme/tables/orders`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export interface FakeQueryResult {
  schema: { fields: { name: string; type: string; mode?: string }[] };
  rows: { f: { v: unknown }[] }[];
}

interface JobResource {
  jobReference: { projectId: string; jobId: string; location?: string };
  configuration: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  status: { state: 'RUNNING' | 'DONE'; errorResult?: { reason: string; message: string }; errors?: unknown[] };
}

/**
 * A small stand-in for the BigQuery REST API (v2): datasets and tables (get/insert/delete), jobs
 * (insert/get) and getQueryResults, enough for the real client to run the adapter. It records every
 * request; jobs complete at once (or, while `holdJobs` is set, stay RUNNING until cancelled); query results
 * come from `answerQuery`; `failJob` makes a job end with an error, as BigQuery reports it (status.errorResult).
 */
export class BigQueryFake {
  readonly requests: RecordedRequest[] = [];
  readonly datasets = new Set<string>();
  readonly tables = new Map<string, { numRows: string }>();
  answerQuery: (sql: string) => FakeQueryResult | undefined = () => undefined;
  failJob: (configuration: JobResource['configuration']) => { reason: string; message: string } | undefined = () => undefined;
  /** New jobs stay RUNNING until jobs.cancel (which ends them as BigQuery does: DONE, reason `stopped`). */
  holdJobs = false;
  private readonly jobs = new Map<string, JobResource>();
  private server: Server | undefined;

  constructor(readonly projectId: string) {}

  /** Starts listening; returns the apiEndpoint (http://127.0.0.1:<port>). */
  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      void this.handle(request, response).catch((error: Error) => this.send(response, 500, { error: { code: 500, message: error.message } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((error) => (error ? reject(error) : resolve())) ?? resolve());
  }

  /** Requests other than the job polls (GET /jobs/<id>), whose number depends on timing. */
  get significantRequests(): RecordedRequest[] {
    return this.requests.filter((request) => !(request.method === 'GET' && request.path.startsWith('/jobs/')));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    // With apiEndpoint the client calls <endpoint>/bigquery/v2/...; with BIGQUERY_EMULATOR_HOST in the
    // environment it uses that value as the base URL as is (<host>/projects/...). Both are served.
    const match = new RegExp(`^(?:/bigquery/v2)?/projects/${this.projectId}(/.*)$`).exec(url.pathname);
    if (!match) return this.notFound(response, `No route ${url.pathname}`);
    const path = match[1];
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text ? JSON.parse(text) : undefined;
    const method = request.method ?? 'GET';
    this.requests.push({ method, path, query: Object.fromEntries(url.searchParams), body });

    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'datasets') return this.datasetRoute(method, parts.slice(1), body, response);
    if (parts[0] === 'jobs' && method === 'POST' && parts.length === 1) return this.insertJob(body as JobResource, response);
    if (parts[0] === 'jobs' && method === 'GET' && parts.length === 2) return this.getJob(parts[1], response);
    if (parts[0] === 'jobs' && method === 'POST' && parts.length === 3 && parts[2] === 'cancel') return this.cancelJob(parts[1], response);
    if (parts[0] === 'queries' && method === 'GET' && parts.length === 2) return this.queryResults(parts[1], url.searchParams, response);
    return this.notFound(response, `No route ${method} ${path}`);
  }

  private datasetRoute(method: string, parts: string[], body: unknown, response: ServerResponse): void {
    const [datasetId, tables, tableId] = parts;
    if (parts.length === 0 && method === 'POST') {
      const resource = body as { datasetReference: { datasetId: string } };
      this.datasets.add(resource.datasetReference.datasetId);
      return this.send(response, 200, resource);
    }
    if (parts.length === 1) {
      if (!this.datasets.has(datasetId)) return this.notFound(response, `Not found: Dataset ${this.projectId}:${datasetId}`);
      if (method === 'DELETE') {
        this.datasets.delete(datasetId);
        for (const key of [...this.tables.keys()]) if (key.startsWith(`${datasetId}.`)) this.tables.delete(key);
        return this.send(response, 204);
      }
      return this.send(response, 200, { datasetReference: { projectId: this.projectId, datasetId } });
    }
    if (tables !== 'tables') return this.notFound(response, 'No route');
    if (parts.length === 2 && method === 'POST') {
      const resource = body as { tableReference: { tableId: string } };
      this.tables.set(`${datasetId}.${resource.tableReference.tableId}`, { numRows: '0' });
      return this.send(response, 200, resource);
    }
    const key = `${datasetId}.${tableId}`;
    const table = this.tables.get(key);
    if (table === undefined) return this.notFound(response, `Not found: Table ${this.projectId}:${key}`);
    if (method === 'DELETE') {
      this.tables.delete(key);
      return this.send(response, 204);
    }
    return this.send(response, 200, { tableReference: { projectId: this.projectId, datasetId, tableId }, numRows: table.numRows });
  }

  private insertJob(resource: JobResource, response: ServerResponse): void {
    const errorResult = this.failJob(resource.configuration);
    const job: JobResource = {
      ...resource,
      status: errorResult ? { state: 'DONE', errorResult, errors: [errorResult] } : { state: this.holdJobs ? 'RUNNING' : 'DONE' },
    };
    if (!errorResult && !this.holdJobs) {
      const destination = (resource.configuration.load ?? resource.configuration.query)?.destinationTable as
        | { datasetId: string; tableId: string }
        | undefined;
      if (destination) {
        const rows = resource.configuration.query ? (this.answerQuery(resource.configuration.query.query)?.rows.length ?? 0) : 0;
        this.tables.set(`${destination.datasetId}.${destination.tableId}`, { numRows: String(rows) });
      }
    }
    this.jobs.set(resource.jobReference.jobId, job);
    // BigQuery reports a job that failed at once in the insert response's status, as the client expects.
    this.send(response, 200, job);
  }

  private getJob(jobId: string, response: ServerResponse): void {
    const job = this.jobs.get(jobId);
    if (!job) return this.notFound(response, `Not found: Job ${jobId}`);
    this.send(response, 200, job);
  }

  private cancelJob(jobId: string, response: ServerResponse): void {
    const job = this.jobs.get(jobId);
    if (!job) return this.notFound(response, `Not found: Job ${jobId}`);
    if (job.status.state === 'RUNNING') {
      const errorResult = { reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' };
      job.status = { state: 'DONE', errorResult, errors: [errorResult] };
    }
    this.send(response, 200, { kind: 'bigquery#jobCancelResponse', job });
  }

  private queryResults(jobId: string, params: URLSearchParams, response: ServerResponse): void {
    const job = this.jobs.get(jobId);
    if (!job) return this.notFound(response, `Not found: Job ${jobId}`);
    const result = this.answerQuery(job.configuration.query?.query ?? '') ?? { schema: { fields: [] }, rows: [] };
    const start = Number(params.get('pageToken') ?? 0);
    const size = Number(params.get('maxResults') ?? result.rows.length);
    const end = start + size;
    this.send(response, 200, {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: job.jobReference,
      jobComplete: true,
      schema: result.schema,
      totalRows: String(result.rows.length),
      rows: result.rows.slice(start, end),
      ...(end < result.rows.length ? { pageToken: String(end) } : {}),
    });
  }

  private notFound(response: ServerResponse, message: string): void {
    this.send(response, 404, { error: { code: 404, message, errors: [{ reason: 'notFound', message }], status: 'NOT_FOUND' } });
  }

  private send(response: ServerResponse, status: number, body?: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    response.end(body === undefined ? undefined : JSON.stringify(body));
  }
}

import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildRuntime, startServer } from './main.js';
import { ensureAdmin } from './commands/users/accounts.js';
import { DomainError } from './kernel/errors.js';
import { importCatalogFile } from './commands/catalog/bulk/import-file.js';
import { seedDemoStore } from './commands/catalog/demo-seed.js';
import { runReconcileCommand } from './queries/finance/cli-report.js';
import { stopWithNpmScript } from './runtime/shutdown.js';

const program = new Command('bazaar').description('Bazaar: an event-sourced commerce back end').showHelpAfterError();

function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * Closes a one-shot command's runtime. The reactors' pacing timers do not hold the process open (unref),
 * so while close() waits for them nothing else may: Node would see an empty event loop under the pending
 * top-level await and exit with code 13 although the command succeeded. A referenced timer bridges it.
 */
async function closeKeepingAlive(runtime: { close(): Promise<void> }): Promise<void> {
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    await runtime.close();
  } finally {
    clearInterval(keepAlive);
  }
}

program
  .command('serve')
  .description('serve the HTTP API and run projections, reactors and sweepers (or one role of them)')
  .addOption(new Option('-p, --port <port>', 'HTTP port (default: $PORT or 3000)'))
  .addOption(new Option('-r, --role <role>', 'api: serve /api; projector: run the projections; reactors: run reactors and sweepers; all: everything (default: $BAZAAR_ROLE or all)').choices(['api', 'projector', 'reactors', 'all']))
  .action(async (options: { port?: string; role?: string }) => {
    if (options.port) process.env.PORT = options.port;
    if (options.role) process.env.BAZAAR_ROLE = options.role;
    const running = await startServer(config()).catch((error: unknown) => {
      if (!(error instanceof ConfigError)) throw error;
      console.error(error.message);
      process.exit(2);
    });
    // SIGINT / SIGTERM: stop accepting, answer the requests in flight, stop the roles, close the stores,
    // exit 0. A second signal while that runs exits at once (1).
    const { logger } = running.runtime.deps;
    let stopping = false;
    const shutdown = (reason: string) => {
      if (stopping) {
        logger.warn({ reason }, 'stopping now, without waiting');
        process.exit(1);
      }
      stopping = true;
      stopWatchingParent();
      logger.info({ reason }, 'shutting down');
      running.close().then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    const stopWatchingParent = stopWithNpmScript(() => shutdown('the npm script that started the server ended'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });

const projections = program.command('projections').description('read models');

projections
  .command('rebuild <name>')
  .description('rebuild a projection from every event beside the live read model, then switch it in (queries keep answering meanwhile)')
  .action(async (name: string) => {
    const runtime = await buildRuntime({ ...config(), LOG_LEVEL: 'warn' });
    const runner = runtime.deps.projections;
    if (!runner.names.includes(name)) {
      console.error(`unknown projection "${name}"; known: ${runner.names.join(', ')}`);
      process.exit(2);
    }
    const started = Date.now();
    await runner.rebuild(name);
    const [status] = (await runner.status()).filter((s) => s.name === name);
    console.log(`rebuilt ${name} to position ${status?.checkpoint ?? 0} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await closeKeepingAlive(runtime);
  });

projections
  .command('status')
  .description('checkpoint and lag of every projection')
  .action(async () => {
    const runtime = await buildRuntime({ ...config(), LOG_LEVEL: 'warn' });
    console.table(await runtime.deps.projections.status());
    await closeKeepingAlive(runtime);
  });

program
  .command('users')
  .description('user administration')
  .command('create-admin')
  .description('create an admin (or grant admin to the owner of the e-mail)')
  .requiredOption('--email <email>', 'e-mail of the admin')
  .requiredOption('--password <password>', 'password (at least 8 characters, mixing two of: lower case, upper case, digits, symbols)')
  .action(async (options: { email: string; password: string }) => {
    const runtime = await buildRuntime({ ...config(), LOG_LEVEL: 'warn' });
    try {
      await runtime.deps.projections.start();
      const result = await ensureAdmin(runtime.deps, options, { actor: { id: 'cli', role: 'system' }, correlationId: 'cli-create-admin' });
      console.log(result.created ? `created admin ${options.email} (${result.userId})` : `${options.email} (${result.userId}) is an admin`);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      console.error(error.message);
      process.exitCode = 1;
    } finally {
      await closeKeepingAlive(runtime);
    }
  });

program
  .command('catalog')
  .description('product center')
  .command('import <file>')
  .description('bulk-create (or bulk-edit) products from a .csv or .ndjson file, with a progress bar (columns: see POST /api/v1/admin/products/bulk in /docs)')
  .addOption(new Option('--mode <mode>', 'create new products or update SKUs').choices(['create', 'update']).default('create'))
  .option('--merchant <id>', 'the merchant whose products the rows create or change', 'platform')
  .action(async (file: string, options: { mode: 'create' | 'update'; merchant: string }) => {
    const runtime = await buildRuntime({ ...config(), LOG_LEVEL: 'warn' });
    try {
      await runtime.deps.projections.start();
      const job = await importCatalogFile(runtime.deps, { file, mode: options.mode, merchantId: options.merchant });
      if (!job) throw new Error('the import stopped before it finished');
      console.log(`job ${job.jobId} ${job.status}: ${job.total} rows, ${job.succeeded} ok, ${job.failed} failed (details: GET /api/v1/admin/jobs/${job.jobId})`);
      if (job.status !== 'completed' || job.failed > 0) process.exitCode = 1;
    } catch (error) {
      if (!(error instanceof DomainError) && !(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
      console.error(error.message);
      process.exitCode = 1;
    } finally {
      await closeKeepingAlive(runtime);
    }
  });

program
  .command('seed')
  .description('fill the store with a demo catalog through the real commands (deterministic; running it again adds only what is missing)')
  .option('--products <n>', 'number of products', '3000')
  .action(async (options: { products: string }) => {
    const products = Number(options.products);
    if (!Number.isInteger(products) || products < 1 || products > 1_000_000) {
      console.error('--products must be a whole number from 1 to 1000000');
      process.exit(2);
    }
    const runtime = await buildRuntime({ ...config(), LOG_LEVEL: 'warn' });
    const { deps } = runtime;
    try {
      await deps.projections.start();
      const started = Date.now();
      const result = await seedDemoStore(deps, { products, onProgress: (done) => done % 500 === 0 && console.log(`  ${done} / ${products} products`) });
      // Let the read models (search included) catch up, so the store is searchable when the server starts.
      await deps.projections.waitFor(await deps.store.headPosition(), 10 * 60_000);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const home = result.homePage === 'published' ? 'demo home page published' : 'home page kept as it was';
      console.log(`demo store ready in ${seconds} s: ${result.created} products created, ${result.existing} already there (${result.listed} listed); ${home}. Try GET /api/v1/home and GET /api/v1/products/search?q=武侠小说`);
    } finally {
      await closeKeepingAlive(runtime);
    }
  });

program
  .command('search')
  .description('product search')
  .command('audit')
  .description('recall audit: every listed product must be indexed and found by a search for its own title (exit 1 when one is not)')
  .option('--limit <n>', 'check only the first n listed products')
  .option('--json', 'print the report as JSON')
  .action(async (options: { limit?: string; json?: boolean }) => {
    const runtime = await buildRuntime({ ...config(), LOG_LEVEL: 'warn' });
    try {
      const { auditSearchRecall } = await import('./queries/catalog/search-audit.js');
      const started = Date.now();
      const report = await auditSearchRecall(runtime.deps, {
        ...(options.limit ? { limit: Number(options.limit) } : {}),
        onProgress: (checked) => !options.json && checked % 10_000 === 0 && console.error(`  ${checked} products checked`),
      });
      if (options.json) console.log(JSON.stringify(report, null, 2));
      else {
        for (const finding of report.findings) console.log(`${finding.problem}\t${finding.productId}\t${finding.title}`);
        console.log(`${report.checked} listed products checked in ${((Date.now() - started) / 1000).toFixed(1)} s: ${report.findings.length} not indexed or not found by their own title`);
      }
      process.exitCode = report.findings.length > 0 ? 1 : 0;
    } finally {
      await closeKeepingAlive(runtime);
    }
  });

program
  .command('reconcile')
  .description('finance reconciliation: re-derive every balance from the events and compare (exit 1 on discrepancies; docs/finance.md)')
  .option('--from <date>', 'start of the period: ISO date (UTC day) or date-time (default: 30 days before --to)')
  .option('--to <date>', 'end of the period, included: ISO date or date-time (default: today)')
  .option('--all', 'list every account, not only those with a difference')
  .option('--json', 'print the report as JSON (as GET /api/v1/admin/finance/reconciliation)')
  .option('--no-progress', 'no progress bar')
  .action(async (options: { from?: string; to?: string; all?: boolean; json?: boolean; progress: boolean }) => {
    const runtime = await buildRuntime({ ...config(), LOG_LEVEL: 'warn' });
    try {
      process.exitCode = await runReconcileCommand(runtime.deps, options);
    } finally {
      await closeKeepingAlive(runtime);
    }
  });

await program.parseAsync();

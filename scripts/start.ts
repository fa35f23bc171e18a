/**
 * `npm start`: a local database, the sync server with demo data, and the app. Ctrl-C stops all of it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer, loadConfig } from '@gatehouse/sync-server';
import { startMongo } from './mongo';
import { DEMO_ACCOUNTS, seedDemo } from './seed';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.GATEHOUSE_DATA_DIR ?? path.join(ROOT, '.data'));
  const mongo = await startMongo({ dataDir });
  const admin = DEMO_ACCOUNTS.find((account) => account.role === 'admin')!;
  const config = loadConfig({
    ...process.env,
    GATEHOUSE_DATA_DIR: dataDir,
    MONGODB_URI: mongo.uri,
    ADMIN_EMAIL: process.env.ADMIN_EMAIL ?? admin.email,
    ADMIN_PASSWORD: process.env.ADMIN_PASSWORD ?? admin.password,
  });
  const { app, ctx } = await buildServer(config);
  const stop = async (signal: string) => {
    console.log(`\n${signal}: stopping the sync server and the database…`);
    await app.close().catch(() => {});
    await mongo.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await seedDemo(ctx, { log: (line) => console.log(line) });
  await app.listen({ port: config.port, host: config.host });
  const url = `http://${config.host}:${config.port}`;
  console.log(`\nGatehouse sync server: ${url}  (API docs: ${url}/docs)`);
  console.log(`Database: ${mongo.describe}`);
  console.log('\nDemo accounts:');
  for (const account of DEMO_ACCOUNTS) {
    console.log(`  ${account.role.padEnd(10)} ${account.email.padEnd(28)} ${account.password}`);
  }
  console.log('\nPress Ctrl-C to stop.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

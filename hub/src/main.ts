#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/index.js';
import { createHub } from './hub.js';

/** Process entry: config → createHub → start; SIGINT/SIGTERM → graceful stop. */
async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  let hub;
  try {
    let config = loadConfig(process.env, demo ? { demo: true } : {});
    // The demo listens for lab results over MLLP unless a port is configured.
    if (config.demo && config.mllpPort === undefined) config = { ...config, mllpPort: 2575 };
    hub = createHub(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`konsilium-hub: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    hub.log.info({ signal }, 'stopping');
    hub.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        hub.log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await hub.start();
  process.stdout.write(
    `Konsilium hub is running at ${hub.url()}  (database: ${hub.internals.db.kind})\n`,
  );
  if (hub.config.demo) {
    process.stdout.write(
      'Demo hospital: sign in as "admin" / "konsilium-demo" (see README for more logins)\n',
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`konsilium-hub: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

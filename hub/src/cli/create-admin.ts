#!/usr/bin/env node
/**
 * `npm run hub:create-admin -- --login LOGIN --last-name … --first-name … [--middle-name …]`
 * Creates an administrator in the configured database (the same `KONSILIUM_*`
 * settings as the hub). The password comes from `KONSILIUM_ADMIN_PASSWORD` or
 * is read from standard input; it is never a command-line argument. Run it
 * before starting the hub on an empty database, or restart the hub afterwards.
 * Exit 0 created, 1 refused (e.g. login taken), 2 bad arguments or configuration.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError, CreateUserRequest } from '@konsilium/shared';
import { ConfigError, loadConfig } from '../config/index.js';
import { createHub } from '../hub.js';
import { SYSTEM } from '../platform/http/actor.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export async function runCreateAdmin(
  argv: string[],
  env: NodeJS.ProcessEnv,
  readPassword: () => Promise<string> = readStdin,
): Promise<{ code: number; out: string }> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        login: { type: 'string' },
        'last-name': { type: 'string' },
        'first-name': { type: 'string' },
        'middle-name': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    return { code: 2, out: `bad arguments: ${(err as Error).message}` };
  }
  const password = env.KONSILIUM_ADMIN_PASSWORD ?? (await readPassword());
  const parsed = CreateUserRequest.safeParse({
    login: values.login,
    password,
    lastName: values['last-name'],
    firstName: values['first-name'],
    ...(values['middle-name'] ? { middleName: values['middle-name'] } : {}),
    category: 'administrator',
    roles: ['admin'],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    const flag =
      field === 'password'
        ? 'password'
        : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return { code: 2, out: `invalid ${flag}: ${issue.message}` };
  }
  let hub;
  try {
    const { KONSILIUM_ADMIN_PASSWORD: _secret, ...rest } = env;
    hub = createHub({
      ...loadConfig(rest),
      port: 0,
      host: '127.0.0.1',
      demo: false,
      logLevel: 'warn',
    });
  } catch (err) {
    if (err instanceof ConfigError) return { code: 2, out: err.message };
    throw err;
  }
  await hub.start();
  try {
    const user = await hub.internals.directory.createUser(SYSTEM, parsed.data);
    return { code: 0, out: `created administrator ${user.login} (${user.id})` };
  } catch (err) {
    if (err instanceof AppError) return { code: 1, out: `refused: ${err.code}: ${err.message}` };
    throw err;
  } finally {
    await hub.stop();
  }
}

const isMain =
  process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href;
if (isMain) {
  runCreateAdmin(process.argv.slice(2), process.env).then(
    ({ code, out }) => {
      (code === 0 ? process.stdout : process.stderr).write(`hub:create-admin: ${out}\n`);
      process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`hub:create-admin: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}

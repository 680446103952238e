import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS_ENV, localClient } from '../../local/dynamodb-local.js';
import { LOCAL_SESSION_TABLE_NAME, startLocalStack, stateFileFor, type LocalStack } from '../../local/local-stack.js';
import { codePrefix, runResults, type TransactionRecord } from '../../local/results.js';
import { signInAtProvider } from '../support/provider-sign-in.js';
import { stackClient } from './support.js';

/** `npm run results` against a running local stack holding one record of each kind. */
const STARTUP_TIMEOUT_MS = 120_000;
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CODE = 'SplxlOBeZQQYbYS6WxSbIA-issued-by-the-provider';

let stack: LocalStack;
let stateDir: string;
let stateFile: string;
let stateDirectory: string;
let issuedCode: string;

interface Run {
  readonly exitCode: number;
  readonly out: string;
  readonly err: string;
}

async function results(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const exitCode = await runResults(argv, {
    stateDirectory,
    nowMs: Date.now(),
    write: (text) => (out += `${text}\n`),
    writeError: (text) => (err += `${text}\n`),
  });
  return { exitCode, out, err };
}

/** A login, then the provider's answer as the browser would bring it back. */
async function loginAndReturn(loginQuery: string, answer: Record<string, string> | undefined, expectedStatus = 200): Promise<void> {
  const client = stackClient(stack.baseUrl);
  const { state, cookie } = await client.login(loginQuery);
  if (answer === undefined) return;
  const callback = await client.get(`/callback?${new URLSearchParams({ ...answer, state, iss: stack.issuer })}`, cookie);
  expect(callback.status).toBe(expectedStatus);
}

/** A real sign-in at the embedded provider, its redirect handed to the stack's callback. */
async function signIn(loginQuery: string, user: string): Promise<string> {
  const client = stackClient(stack.baseUrl);
  const { authorizeUrl, cookie } = await client.login(loginQuery);
  const redirect = await signInAtProvider(authorizeUrl, { login: user });
  const callback = await client.get(`/callback${redirect.search}`, cookie);
  expect(callback.status).toBe(303);
  return redirect.searchParams.get('code') ?? '';
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'results-test-'));
  stateDirectory = join(stateDir, 'stacks');
  stack = await startLocalStack({ stateDirectory });
  stateFile = stateFileFor(stateDirectory, stack.port);
  issuedCode = await signIn('?returnTo=%2Faccount%3Ftab%3Dkeys', 'alice');
  // A code the provider never issued: consumed, then refused at the token endpoint.
  await loginAndReturn('', { code: CODE }, 502);
  await loginAndReturn('', { error: 'access_denied', error_description: 'End-User aborted interaction' });
  await loginAndReturn('', undefined);
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

test('the table lists every record newest first, with the code shortened to a prefix', async () => {
  const run = await results();
  expect(run.exitCode).toBe(0);
  const lines = run.out.trimEnd().split('\n');
  expect(lines[0]).toBe(`4 logins recorded in the local stack at ${stack.baseUrl}, newest first:`);
  expect(lines[1]).toMatch(/^OUTCOME +WHO +STARTED \(UTC\) +COMPLETED \(UTC\) +RETURN TO +CODE$/);
  expect(lines[2]).toMatch(/^pending +- +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +- +- +-$/);
  expect(lines[3]).toMatch(/^error: access_denied +- +\S+ \S+ +\S+ \S+ +- +-$/);
  expect(lines[4]).toMatch(/^sign-in failed: token_endpoint_error:invalid_grant +- +\S+ \S+ +\S+ \S+ +- +SplxlO…$/);
  expect(lines[5]).toMatch(/^signed in +alice <alice@example\.test> +\S+ \S+ +\S+ \S+ +\/account\?tab=keys +\S+$/);
  expect(lines[5]?.endsWith(` ${codePrefix(issuedCode)}`)).toBe(true);
  expect(run.out).not.toContain(CODE.slice(0, 7));
  // Then the sessions: alice's keeps tokens, and says until when its access token is good.
  expect(lines.slice(6, 9)).toEqual(['', '1 session, newest first:', expect.stringMatching(/^SESSION OF +SIGNED IN \(UTC\) +TOKENS +ACCESS TOKEN EXPIRES \(UTC\)$/)]);
  const session = await sessionItem();
  const expiresAt = Number(session.accessTokenExpiresAt?.N);
  const expiry = `${new Date(expiresAt * 1000).toISOString().slice(0, 19).replace('T', ' ')}Z`;
  expect(lines[9]).toMatch(/^alice <alice@example\.test> +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +yes \([^)]+\) +\S+ \S+Z$/);
  expect(lines[9]?.endsWith(expiry)).toBe(true);
  expect(lines).toHaveLength(10);
  // Never a token: neither the sealed value nor anything of a JWT.
  const sealed = session.tokens?.S ?? '';
  expect(sealed.length).toBeGreaterThan(40);
  for (const part of sealed.split('.')) if (part.length >= 8) expect(run.out).not.toContain(part);
  expect(run.out).not.toContain('eyJ');
});

/** alice's session item as the callback stored it. */
async function sessionItem(): Promise<Record<string, AttributeValue>> {
  const client = localClient(stack.dynamoDbEndpoint);
  try {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: LOCAL_SESSION_TABLE_NAME }));
    const [item] = Items;
    if (Items.length !== 1 || item === undefined) throw new Error(`expected one session, found ${Items.length}`);
    return item;
  } finally {
    client.destroy();
  }
}

test('--json prints one object per line with every attribute, numbers as numbers', async () => {
  const run = await results('--json');
  expect(run.exitCode).toBe(0);
  const records = run.out.trimEnd().split('\n').map((line) => JSON.parse(line) as TransactionRecord);
  expect(records.map((record) => record.status)).toEqual(['pending', 'provider_error', 'sign_in_failed', 'signed_in']);
  expect(records[2]).toMatchObject({ code: CODE, failureReason: 'token_endpoint_error:invalid_grant' });
  expect(records[3]).toMatchObject({ code: issuedCode, returnTo: '/account?tab=keys', issuer: stack.issuer, sub: 'alice' });
  // Once signed in, the record no longer holds what a backend would need to redeem the code again.
  expect(Object.keys(records[3] ?? {}).sort()).toEqual(
    ['bindingHash', 'claims', 'code', 'completedAt', 'createdAt', 'expiresAt', 'id', 'issuer', 'returnTo', 'scope', 'signedInAt', 'status', 'sub'].sort(),
  );
  expect(records[1]).toMatchObject({ error: 'access_denied', errorDescription: 'End-User aborted interaction' });
  expect(typeof records[0]?.createdAt).toBe('number');
});

test('--table reads a table through the standard AWS configuration chain', async () => {
  const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['local/results.ts', '--table', stack.tableName], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoDbEndpoint },
  });
  expect(stdout).toContain(`4 logins recorded in table ${stack.tableName}, newest first:`);
  expect(stdout).toContain('SplxlO…');
});

test('a wrong flag is a usage error', async () => {
  const run = await results('--jsn');
  expect(run.exitCode).toBe(2);
  expect(run.err).toContain('Usage: npm run results');
});

test('codePrefix never shows more than six characters, nor more than half of a short code', () => {
  expect(codePrefix(CODE)).toBe('SplxlO…');
  expect(codePrefix('abcd')).toBe('ab…');
  expect(codePrefix('a')).toBe('…');
});

/** What a hostile provider or browser could get into a record: a terminal title, a screen clear, an 8-bit CSI, a forged row. */
const ESCAPES = '\u001b]0;owned\u0007\u001b[2J\u009b31m\u007f\nsigned in  mallory';
/** Any control character but the newline that ends each printed line. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

test('control characters in any column are printed escaped, locally, with --json and with --table', async () => {
  const client = localClient(stack.dynamoDbEndpoint);
  const hostile: Record<string, string>[] = [
    { status: 'signed_in', sub: `sub${ESCAPES}`, claims: JSON.stringify({ email: `e${ESCAPES}` }), returnTo: `/r${ESCAPES}`, code: `code${ESCAPES}` },
    { status: 'provider_error', error: `error${ESCAPES}` },
    { status: 'sign_in_failed', failureReason: `reason${ESCAPES}` },
    { status: `status${ESCAPES}` },
  ];
  try {
    await client.send(
      new PutItemCommand({
        TableName: LOCAL_SESSION_TABLE_NAME,
        Item: {
          id: { S: 'hostile-session' },
          createdAt: { N: String(Date.now()) },
          sub: { S: `sub${ESCAPES}` },
          claims: { S: JSON.stringify({ email: `e${ESCAPES}` }) },
          tokens: { S: 'sealed' },
          scope: { S: `openid${ESCAPES}` },
          accessTokenExpiresAt: { N: '1' },
        },
      }),
    );
    await Promise.all(
      hostile.map((attributes, index) =>
        client.send(
          new PutItemCommand({
            TableName: stack.tableName,
            Item: {
              id: { S: `hostile-${index}` },
              createdAt: { N: String(Date.now() + index) },
              ...Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { S: value }])),
            },
          }),
        ),
      ),
    );
  } finally {
    client.destroy();
  }
  const local = await results();
  const json = await results('--json');
  const { stdout: table } = await promisify(execFile)('node_modules/.bin/tsx', ['local/results.ts', '--table', stack.tableName], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoDbEndpoint },
  });
  for (const output of [local.out, json.out, table]) {
    expect(output).not.toMatch(RAW_CONTROL);
    expect(output).toContain('\\u001b]0;owned\\u0007');
  }
  // One line per record, each still JSON holding the value as stored.
  const lines = json.out.trimEnd().split('\n');
  expect(lines).toHaveLength(8);
  expect(lines.map((line) => (JSON.parse(line) as TransactionRecord).status)).toContain(`status${ESCAPES}`);
  // No value forged a row: the title line, the header, 8 records; locally then a blank line, the sessions' title and header, 2 sessions.
  expect(table.trimEnd().split('\n')).toHaveLength(10);
  expect(local.out.trimEnd().split('\n')).toHaveLength(15);
  expect(local.out).toMatch(/ \(expired\)$/m);
});

test('with the stack stopped, or a state file left by a dead process, it says nothing is running', async () => {
  await stack.stop();
  expect(existsSync(stateFile)).toBe(false);
  const stopped = await results();
  expect(stopped.exitCode).toBe(1);
  expect(stopped.err).toContain('No local stack is running: start one with `npm start`');

  const deadPid = 2 ** 22 + 1;
  await mkdir(stateDirectory, { recursive: true });
  await writeFile(stateFile, JSON.stringify({ pid: deadPid, port: stack.port, baseUrl: 'http://localhost:1', dynamoDbEndpoint: 'http://127.0.0.1:1', tableName: 't' }));
  expect((await results()).exitCode).toBe(1);
});

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLE_TTL_ATTRIBUTE } from '../lambdas/core/contract.js';
import { localClient, scanItems } from './dynamodb-local.js';
import { DEFAULT_STATE_DIRECTORY, LOCAL_SESSION_TABLE_NAME, listLocalStacks, readLocalStackState, stateFileFor, type LocalStackState } from './local-stack.js';

/**
 * `npm run results`: the recorded login attempts, newest first. Reads the running local stack's
 * table, or with `--table NAME` a table in AWS through the standard credential chain. This is an
 * operator's tool: it scans, which the functions themselves are not allowed to do.
 */
export type RecordValue = string | number | boolean | null | RecordValue[] | { [name: string]: RecordValue };
export type TransactionRecord = Record<string, RecordValue>;

const USAGE = 'Usage: npm run results [-- --json] [-- --port PORT | --table NAME]';
const CODE_PREFIX_LENGTH = 6;
const MAX_RETURN_TO_WIDTH = 40;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ResultsArguments {
  readonly json: boolean;
  readonly table: string | undefined;
  /** Which running local stack, when several are. */
  readonly port: number | undefined;
}

export function parseResultsArguments(argv: readonly string[]): ResultsArguments {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean', default: false }, table: { type: 'string' }, port: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.table !== undefined && values.table.trim() === '') throw new UsageError(`--table needs a table name. ${USAGE}`);
    if (values.table !== undefined && values.port !== undefined) throw new UsageError(`--port and --table exclude each other. ${USAGE}`);
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!/^\d{1,5}$/.test(values.port ?? '') || port < 1 || port > 65_535)) {
      throw new UsageError(`--port needs a port number, got "${values.port}". ${USAGE}`);
    }
    return { json: values.json, table: values.table, port };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}. ${USAGE}`);
  }
}

/** DynamoDB's typed attributes as plain JSON values; numbers stay numbers. */
function plainValue(value: AttributeValue): RecordValue {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(plainValue);
  if (value.M !== undefined) return plainRecord(value.M);
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return Buffer.from(value.B).toString('base64');
  return null;
}

function plainRecord(item: Record<string, AttributeValue>): TransactionRecord {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, plainValue(value)]));
}

function numberField(record: TransactionRecord, name: string): number | undefined {
  const value = record[name];
  return typeof value === 'number' ? value : undefined;
}

function stringField(record: TransactionRecord, name: string): string | undefined {
  const value = record[name];
  return typeof value === 'string' ? value : undefined;
}

/** Every record in the table, newest login first. */
export async function readRecords(client: DynamoDBClient, tableName: string): Promise<TransactionRecord[]> {
  const records = (await scanItems(client, tableName)).map(plainRecord);
  return records.sort((a, b) => (numberField(b, 'createdAt') ?? 0) - (numberField(a, 'createdAt') ?? 0));
}

function outcome(record: TransactionRecord, nowMs: number): string {
  const status = stringField(record, 'status');
  if (status === 'code_received') return 'code received';
  if (status === 'provider_error') return `error: ${stringField(record, 'error') ?? '?'}`;
  if (status === 'signed_in') return 'signed in';
  if (status === 'sign_in_failed') return `sign-in failed: ${stringField(record, 'failureReason') ?? '?'}`;
  if (status === 'pending') {
    const expiresAt = numberField(record, TABLE_TTL_ATTRIBUTE);
    return expiresAt !== undefined && expiresAt * 1000 <= nowMs ? 'expired' : 'pending';
  }
  return status ?? '?';
}

/** Who signed in: the subject and, when the provider sent one, the email address. */
function who(record: TransactionRecord): string {
  const sub = stringField(record, 'sub');
  if (sub === undefined) return '-';
  let email: unknown;
  try {
    email = (JSON.parse(stringField(record, 'claims') ?? '{}') as Record<string, unknown>).email;
  } catch {
    email = undefined;
  }
  return typeof email === 'string' ? `${sub} <${email}>` : sub;
}

function time(epochMs: number | undefined): string {
  return epochMs === undefined ? '-' : `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A code is a credential: show only enough to tell records apart, never more than half of it. */
export function codePrefix(code: string): string {
  return `${code.slice(0, Math.min(CODE_PREFIX_LENGTH, Math.floor(code.length / 2)))}…`;
}

/**
 * C0 and C1 control characters and DEL, shown as `\u001b`: a record holds what a provider or a
 * browser sent, and a terminal obeys the escape sequences it prints (retitling, clearing, rewriting
 * earlier lines). Newlines too, so a value cannot forge a row.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function truncated(value: string, width: number): string {
  return value.length <= width ? value : `${value.slice(0, width - 1)}…`;
}

function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatTable(records: readonly TransactionRecord[], nowMs: number): string {
  const header = ['OUTCOME', 'WHO', 'STARTED (UTC)', 'COMPLETED (UTC)', 'RETURN TO', 'CODE'];
  const rows = records.map((record) => {
    const code = stringField(record, 'code');
    return [
      printable(outcome(record, nowMs)),
      truncated(printable(who(record)), MAX_RETURN_TO_WIDTH),
      time(numberField(record, 'createdAt')),
      time(numberField(record, 'completedAt')),
      truncated(printable(stringField(record, 'returnTo') ?? '-'), MAX_RETURN_TO_WIDTH),
      code === undefined ? (stringField(record, 'codeHash') === undefined ? '-' : '(hashed)') : codePrefix(printable(code)),
    ];
  });
  return columns(header, rows);
}

/**
 * The sessions: whether each keeps tokens and when its access token expires, from the attribute
 * stored beside the sealed tokens. Nothing of the sealed value itself is printed.
 */
export function formatSessions(sessions: readonly TransactionRecord[], nowMs: number): string {
  const header = ['SESSION OF', 'SIGNED IN (UTC)', 'TOKENS', 'ACCESS TOKEN EXPIRES (UTC)'];
  const rows = sessions.map((session) => {
    const expiresAt = numberField(session, 'accessTokenExpiresAt');
    const hasTokens = session.tokens !== undefined;
    return [
      truncated(printable(who(session)), MAX_RETURN_TO_WIDTH),
      time(numberField(session, 'createdAt')),
      hasTokens ? `yes${stringField(session, 'scope') === undefined ? '' : ` (${truncated(printable(stringField(session, 'scope') ?? ''), MAX_RETURN_TO_WIDTH)})`}` : 'none',
      !hasTokens || expiresAt === undefined ? '-' : `${time(expiresAt * 1000)}${expiresAt * 1000 <= nowMs ? ' (expired)' : ''}`,
    ];
  });
  return columns(header, rows);
}

export function formatJsonLines(records: readonly TransactionRecord[]): string {
  // JSON escapes C0 controls but not DEL or C1 (U+009B is a one-character CSI); escaped, each line is still the same JSON.
  return records.map((record) => printable(JSON.stringify(record))).join('\n');
}

export interface ResultsEnvironment {
  /** Where running local stacks publish themselves (see LocalStackOptions.stateDirectory). */
  readonly stateDirectory: string;
  readonly nowMs: number;
  /** Records only, so `--json` output can be piped. */
  readonly write: (text: string) => void;
  readonly writeError: (text: string) => void;
}

const NOTHING_RUNNING =
  'No local stack is running: start one with `npm start` (in another terminal), or read a deployed table with `npm run results -- --table NAME`.';

/** The running stack to read, or what to tell the user instead. */
async function findStack(stateDirectory: string, port: number | undefined): Promise<LocalStackState | string> {
  if (port !== undefined) {
    return (await readLocalStackState(stateFileFor(stateDirectory, port))) ?? `No local stack is running on port ${port}.`;
  }
  const running = await listLocalStacks(stateDirectory);
  if (running.length === 0) return NOTHING_RUNNING;
  if (running.length > 1) {
    return `Local stacks are running on ports ${running.map((state) => state.port).join(', ')}: name one with \`npm run results -- --port PORT\`.`;
  }
  return running[0] ?? NOTHING_RUNNING;
}

/** The whole command; returns the exit code so it can be tested without a child process. */
export async function runResults(argv: readonly string[], environment: ResultsEnvironment): Promise<number> {
  const { write, writeError } = environment;
  let args: ResultsArguments;
  try {
    args = parseResultsArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    writeError(error.message);
    return 2;
  }
  let client: DynamoDBClient;
  let tableName: string;
  let sessionTableName: string | undefined;
  let source: string;
  if (args.table === undefined) {
    const found = await findStack(environment.stateDirectory, args.port);
    if (typeof found === 'string') {
      writeError(found);
      return found === NOTHING_RUNNING || args.port !== undefined ? 1 : 2;
    }
    const state = found;
    client = localClient(state.dynamoDbEndpoint);
    tableName = state.tableName;
    sessionTableName = LOCAL_SESSION_TABLE_NAME;
    source = `the local stack at ${printable(state.baseUrl)}`;
  } else {
    client = new DynamoDBClient({});
    tableName = args.table;
    source = `table ${printable(tableName)}`;
  }
  try {
    const records = await readRecords(client, tableName);
    if (args.json) {
      if (records.length > 0) write(formatJsonLines(records));
      return 0;
    }
    if (records.length === 0) {
      write(`No logins recorded yet in ${source}.`);
    } else {
      write(`${records.length} login${records.length === 1 ? '' : 's'} recorded in ${source}, newest first:\n${formatTable(records, environment.nowMs)}`);
    }
    if (sessionTableName !== undefined) {
      const sessions = await readRecords(client, sessionTableName);
      if (sessions.length > 0) write(`\n${sessions.length} session${sessions.length === 1 ? '' : 's'}, newest first:\n${formatSessions(sessions, environment.nowMs)}`);
    }
    return 0;
  } catch (error) {
    writeError(`Could not read ${source}: ${printable(error instanceof Error ? `${error.name}: ${error.message}` : String(error))}`);
    return 1;
  } finally {
    client.destroy();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.exitCode = await runResults(process.argv.slice(2), {
    stateDirectory: DEFAULT_STATE_DIRECTORY,
    nowMs: Date.now(),
    write: (text) => process.stdout.write(`${text}\n`),
    writeError: (text) => process.stderr.write(`${text}\n`),
  });
}

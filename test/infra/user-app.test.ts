import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The construct as a user gets it: imported by the package's name (package.json `exports`) from a
 * CDK app of their own, run the way CDK runs an app, its template read back.
 */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const USER_APP = fileURLToPath(new URL('./user-app/app.ts', import.meta.url));
const SYNTH_TIMEOUT_MS = 120_000;

type Resource = { Type: string; Properties: Record<string, unknown> };
let resources: Record<string, Resource>;
let outdir: string;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'cdk-out-user-app-'));
  await promisify(execFile)(join(PROJECT_ROOT, 'node_modules/.bin/tsx'), [USER_APP, outdir], { cwd: PROJECT_ROOT, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
  const template = JSON.parse(await readFile(join(outdir, 'UserStack.template.json'), 'utf8')) as { Resources: Record<string, Resource> };
  resources = template.Resources;
}, SYNTH_TIMEOUT_MS);

afterAll(() => rm(outdir, { recursive: true, force: true }));

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

test('the sign-in joins the user\'s own API: one API, no stage of its own, its routes beside the user\'s', () => {
  expect(ofType('AWS::ApiGatewayV2::Api')).toHaveLength(1);
  expect(ofType('AWS::ApiGatewayV2::Stage')).toHaveLength(1);
  const routeKeys = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties.RouteKey).sort();
  expect(routeKeys).toEqual(
    ['GET /callback', 'GET /login', 'GET /logout', 'GET /me', 'GET /orders', 'GET /signed-in', 'GET /signed-out', 'POST /backchannel-logout', 'POST /logout'].sort(),
  );
});

test('the user\'s route is guarded by the session authorizer: payload 2.0, simple responses, the Cookie header, no cache', () => {
  const [, orders] = ofType('AWS::ApiGatewayV2::Route').find(([, route]) => route.Properties.RouteKey === 'GET /orders') ?? [];
  expect(orders?.Properties).toMatchObject({ AuthorizationType: 'CUSTOM' });
  const authorizerId = (orders?.Properties.AuthorizerId as { Ref: string }).Ref;
  expect(resources[authorizerId]?.Properties).toMatchObject({
    AuthorizerType: 'REQUEST',
    AuthorizerPayloadFormatVersion: '2.0',
    EnableSimpleResponses: true,
    IdentitySource: ['$request.header.Cookie'],
    AuthorizerResultTtlInSeconds: 0,
  });
});

test('the sign-in\'s seven functions and three tables come with it, and the made secret\'s value is never in the template', async () => {
  expect(ofType('AWS::Lambda::Function')).toHaveLength(1 + 7);
  expect(ofType('AWS::DynamoDB::Table')).toHaveLength(3);
  expect(ofType('AWS::SecretsManager::Secret')).toHaveLength(1);
  expect(await readFile(join(outdir, 'UserStack.template.json'), 'utf8')).not.toMatch(/"SecretString"|resolve:secretsmanager/);
});

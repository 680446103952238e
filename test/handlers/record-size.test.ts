import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { MAX_CODE_LENGTH, MAX_RECORDED_CODE_LENGTH } from '../../lambdas/core/authorization-response.js';
import { MAX_RETURN_TO_LENGTH } from '../../lambdas/core/return-to.js';
import { callbackQuery, createTestFlow, type TestFlow } from '../support/flow.js';

/**
 * Unauthenticated requests must stay cheap: whatever a forged login and callback send (the longest
 * returnTo, organization, code and error description the flow accepts), the record they make costs
 * one DynamoDB write unit (items up to 1 KB) at each step. Sizes are computed from the items as
 * DynamoDB Local stores them, by DynamoDB's item-size rules.
 */
const WRITE_UNIT_BYTES = 1024;
/** A long issuer, as an operator might configure it; the rest comes from the requests. */
const ISSUER = 'https://a-rather-long-tenant-name.eu.auth0.com/';

/** DynamoDB's item size: attribute names plus values (strings by UTF-8 length, numbers about one byte per two digits plus one). */
function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (value.S !== undefined) size += Buffer.byteLength(value.S);
    else if (value.N !== undefined) size += Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
    else if (value.BOOL !== undefined || value.NULL !== undefined) size += 1;
    else throw new Error(`unexpected attribute type in ${name}`);
  }
  return size;
}

let flow: TestFlow;

beforeAll(async () => {
  flow = await createTestFlow({ config: { issuer: ISSUER, authorizationEndpoint: `${ISSUER}authorize` } });
});

afterAll(() => flow.close());

const longestReturnTo = `/${'r'.repeat(MAX_RETURN_TO_LENGTH - 1)}`;
const longestOrganization = `org_${'o'.repeat(60)}`;

async function forgedLogin() {
  const login = await flow.login(`returnTo=${encodeURIComponent(longestReturnTo)}&organization=${longestOrganization}`);
  expect(login.response.statusCode).toBe(302);
  return login;
}

async function sizeOf(transactionId: string): Promise<number> {
  const item = await flow.item(transactionId);
  if (item === undefined) throw new Error('no record');
  return itemSize(item);
}

test('the login step: the longest accepted returnTo and organization fit one write unit', async () => {
  const login = await forgedLogin();
  expect(await sizeOf(login.transactionId)).toBeLessThanOrEqual(WRITE_UNIT_BYTES);
});

test.each([
  ['the longest code recorded as it is', 'c'.repeat(MAX_RECORDED_CODE_LENGTH)],
  ['a code just too long to record as it is (its hash is kept)', 'c'.repeat(MAX_RECORDED_CODE_LENGTH + 1)],
  ['the longest code accepted at all', 'c'.repeat(MAX_CODE_LENGTH)],
])('the callback step with %s fits one write unit', async (_name, code) => {
  const login = await forgedLogin();
  expect((await flow.callback(callbackQuery({ code, state: login.state }), login.bindingSecret)).statusCode).toBe(303);
  expect(await sizeOf(login.transactionId)).toBeLessThanOrEqual(WRITE_UNIT_BYTES);
});

test('the callback step with a provider error and the longest description kept fits one write unit', async () => {
  const login = await forgedLogin();
  const answer = callbackQuery({ error: 'e'.repeat(64), error_description: 'd'.repeat(256), state: login.state });
  expect((await flow.callback(answer, login.bindingSecret)).statusCode).toBe(200);
  const item = await flow.item(login.transactionId);
  expect(item?.errorDescription?.S).toHaveLength(256);
  expect(await sizeOf(login.transactionId)).toBeLessThanOrEqual(WRITE_UNIT_BYTES);
});

test('a long code is still recognised on a retry: the same browser presenting it again is told it already finished', async () => {
  const login = await forgedLogin();
  const code = 'x'.repeat(MAX_RECORDED_CODE_LENGTH + 100);
  await flow.callback(callbackQuery({ code, state: login.state }), login.bindingSecret);
  expect((await flow.item(login.transactionId))?.code).toBeUndefined();
  const retry = await flow.callback(callbackQuery({ code, state: login.state }), login.bindingSecret);
  expect(retry.statusCode).toBe(409);
  expect(retry.body).toContain('already finished');
  const other = await flow.callback(callbackQuery({ code: `${code}y`, state: login.state }), login.bindingSecret);
  expect(other.body).toContain('already been used');
});

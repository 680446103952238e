import { transactionIdForState } from '../../lambdas/core/authorization-request.js';
import {
  CallbackError,
  MAX_CODE_LENGTH,
  classifyRefusedConsume,
  providerErrorLabel,
  validateAuthorizationResponse,
  type CallbackRejection,
  type StoredTransactionState,
} from '../../lambdas/core/authorization-response.js';
import { hashBindingSecret } from '../../lambdas/core/binding.js';
import { randomToken } from '../../lambdas/core/encoding.js';
import type { FlowConfig } from '../../lambdas/core/config.js';
import { callbackQuery, testConfig, TEST_ISSUER } from '../support/flow.js';

const STATE = randomToken();
const TRANSACTION_ID = transactionIdForState(STATE);

function rejectionOf(rawQueryString: string, config: FlowConfig = testConfig()): CallbackRejection {
  try {
    validateAuthorizationResponse(rawQueryString, config);
  } catch (error) {
    if (error instanceof CallbackError) return error.reason;
    throw error;
  }
  throw new Error(`accepted: ${rawQueryString}`);
}

describe('validateAuthorizationResponse: success responses', () => {
  test('a code with our state and the right iss', () => {
    expect(validateAuthorizationResponse(callbackQuery({ code: 'abc', state: STATE, iss: TEST_ISSUER }), testConfig())).toEqual({
      kind: 'code',
      transactionId: TRANSACTION_ID,
      code: 'abc',
    });
  });

  test('iss may be absent unless the provider is known to send it', () => {
    expect(validateAuthorizationResponse(callbackQuery({ code: 'abc', state: STATE }), testConfig()).kind).toBe('code');
  });

  test.each([
    ['a single character', 'x'],
    ['exactly the maximum length', 'c'.repeat(MAX_CODE_LENGTH)],
    ['every VSCHAR (%x20-7E)', Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index)).join('')],
  ])('accepts a code of %s', (_label, code) => {
    const response = validateAuthorizationResponse(callbackQuery({ state: STATE, code }), testConfig());
    expect(response).toEqual({ kind: 'code', transactionId: TRANSACTION_ID, code });
  });
});

describe('validateAuthorizationResponse: provider errors (RFC 6749 §4.1.2.1)', () => {
  test.each([
    'invalid_request',
    'unauthorized_client',
    'access_denied',
    'unsupported_response_type',
    'invalid_scope',
    'server_error',
    'temporarily_unavailable',
    'login_required',
    'consent_required',
    'interaction_required',
  ])('%s is an error outcome for our transaction', (error) => {
    expect(validateAuthorizationResponse(callbackQuery({ error, state: STATE }), testConfig())).toEqual({
      kind: 'error',
      transactionId: TRANSACTION_ID,
      error,
      errorDescription: undefined,
    });
  });

  test('carries a valid error_description, markup and all (the page escapes it)', () => {
    const description = 'User <b>denied</b> & left';
    expect(validateAuthorizationResponse(callbackQuery({ error: 'access_denied', error_description: description, state: STATE }), testConfig())).toEqual({
      kind: 'error',
      transactionId: TRANSACTION_ID,
      error: 'access_denied',
      errorDescription: description,
    });
  });

  test.each([
    ['a double quote', 'said "no"'],
    ['a backslash', 'back\\slash'],
    ['a newline', 'two\nlines'],
    ['more than 1024 characters', 'd'.repeat(1025)],
  ])('drops an error_description with %s but still records the error', (_label, description) => {
    const response = validateAuthorizationResponse(callbackQuery({ error: 'access_denied', error_description: description, state: STATE }), testConfig());
    expect(response).toEqual({ kind: 'error', transactionId: TRANSACTION_ID, error: 'access_denied', errorDescription: undefined });
  });

  test.each([
    ['a double quote', 'access"denied'],
    ['a backslash', 'access\\denied'],
    ['a control character', 'access\u0001denied'],
    ['a non-ASCII character', 'accès_denied'],
    ['more than 64 characters', 'e'.repeat(65)],
    ['nothing', ''],
  ])('rejects an error code with %s (NQSCHAR)', (_label, error) => {
    expect(rejectionOf(callbackQuery({ error, state: STATE }))).toBe('invalid_error');
  });
});

describe('validateAuthorizationResponse: rejections', () => {
  test.each<[string, string, CallbackRejection]>([
    ['no state', callbackQuery({ code: 'abc' }), 'missing_state'],
    ['a state one character short', callbackQuery({ code: 'abc', state: STATE.slice(1) }), 'invalid_state'],
    ['a state one character long', callbackQuery({ code: 'abc', state: `${STATE}A` }), 'invalid_state'],
    ['a state with padding', callbackQuery({ code: 'abc', state: `${STATE.slice(1)}=` }), 'invalid_state'],
    ['a state of another format', callbackQuery({ code: 'abc', state: 'xyz' }), 'invalid_state'],
    ['an empty code', callbackQuery({ code: '', state: STATE }), 'invalid_code'],
    ['a code one character too long', callbackQuery({ code: 'c'.repeat(MAX_CODE_LENGTH + 1), state: STATE }), 'invalid_code'],
    ['a code with DEL', callbackQuery({ code: 'a\u007fb', state: STATE }), 'invalid_code'],
    ['a code with a tab', callbackQuery({ code: 'a\tb', state: STATE }), 'invalid_code'],
    ['a code with a non-ASCII character', callbackQuery({ code: 'cödé', state: STATE }), 'invalid_code'],
    ['both code and error', callbackQuery({ code: 'abc', error: 'access_denied', state: STATE }), 'ambiguous_response'],
    ['neither code nor error', callbackQuery({ state: STATE }), 'missing_response'],
    ['an iss that differs by a trailing slash', callbackQuery({ code: 'abc', state: STATE, iss: TEST_ISSUER.slice(0, -1) }), 'issuer_mismatch'],
    ['an iss of another provider', callbackQuery({ code: 'abc', state: STATE, iss: 'https://evil.example.test/' }), 'issuer_mismatch'],
    ['an iss that differs in case', callbackQuery({ code: 'abc', state: STATE, iss: TEST_ISSUER.toUpperCase() }), 'issuer_mismatch'],
    ['a duplicated state', `state=${STATE}&state=${STATE}&code=abc`, 'duplicate_parameter'],
    ['a duplicated code', `state=${STATE}&code=a&code=b`, 'duplicate_parameter'],
    ['a duplicated iss', `state=${STATE}&code=a&iss=${encodeURIComponent(TEST_ISSUER)}&iss=${encodeURIComponent(TEST_ISSUER)}`, 'duplicate_parameter'],
    ['malformed percent-encoding', `state=${STATE}&code=%E0%A4%A`, 'malformed_query'],
    ['a lone percent sign', `state=${STATE}&code=%`, 'malformed_query'],
    ['too many parameters', `state=${STATE}&code=a&${Array.from({ length: 31 }, (_, index) => `p${index}=1`).join('&')}`, 'malformed_query'],
    ['an oversized query', `state=${STATE}&code=${'c'.repeat(9000)}`, 'malformed_query'],
    ['an empty query', '', 'missing_state'],
  ])('%s', (_label, query, reason) => {
    expect(rejectionOf(query)).toBe(reason);
  });

  test('when iss is required, a response without it is rejected', () => {
    expect(rejectionOf(callbackQuery({ code: 'abc', state: STATE }), testConfig({ requireIss: true }))).toBe('missing_issuer');
    expect(validateAuthorizationResponse(callbackQuery({ code: 'abc', state: STATE, iss: TEST_ISSUER }), testConfig({ requireIss: true })).kind).toBe('code');
  });

  test('state and iss are checked before acting on error= (oauth4webapi order)', () => {
    expect(rejectionOf(callbackQuery({ error: 'access_denied' }))).toBe('missing_state');
    expect(rejectionOf(callbackQuery({ error: 'access_denied', state: 'forged' }))).toBe('invalid_state');
    expect(rejectionOf(callbackQuery({ error: 'access_denied', state: STATE, iss: 'https://evil.example.test/' }))).toBe('issuer_mismatch');
    expect(rejectionOf(callbackQuery({ error: 'access_denied', state: STATE }), testConfig({ requireIss: true }))).toBe('missing_issuer');
  });
});

describe('classifyRefusedConsume', () => {
  const secret = randomToken();
  const NOW = 1_750_000_000;
  const stored = (overrides: Partial<StoredTransactionState> = {}): StoredTransactionState => ({
    status: 'pending',
    expiresAt: NOW + 60,
    bindingHash: hashBindingSecret(secret),
    ...overrides,
  });

  test.each<[string, StoredTransactionState | undefined, CallbackRejection]>([
    ['no such transaction', undefined, 'unknown_state'],
    ['another browser', stored({ bindingHash: hashBindingSecret(randomToken()) }), 'binding_mismatch'],
    ['another browser, even after the rightful user finished', stored({ bindingHash: hashBindingSecret(randomToken()), status: 'code_received' }), 'binding_mismatch'],
    ['another browser, even after expiry', stored({ bindingHash: hashBindingSecret(randomToken()), expiresAt: NOW - 1 }), 'binding_mismatch'],
    ['already completed with a code', stored({ status: 'code_received' }), 'already_used'],
    ['already ended by a provider error', stored({ status: 'provider_error' }), 'already_used'],
    ['used and expired: reported as used', stored({ status: 'code_received', expiresAt: NOW - 1 }), 'already_used'],
    ['expired a second ago', stored({ expiresAt: NOW - 1 }), 'expired'],
    ['expiring this very second (expiresAt > now is required)', stored({ expiresAt: NOW }), 'expired'],
    ['pending, bound and fresh (the write lost no race): unknown', stored(), 'unknown_state'],
  ])('%s', (_label, state, reason) => {
    expect(classifyRefusedConsume(state, secret, NOW)).toBe(reason);
  });

  test('the same browser presenting the recorded code is told it already completed; any other code is a replay', () => {
    const completed = stored({ status: 'code_received', code: 'recorded-code' });
    expect(classifyRefusedConsume(completed, secret, NOW, 'recorded-code')).toBe('already_completed');
    expect(classifyRefusedConsume(completed, secret, NOW, 'other-code')).toBe('already_used');
    expect(classifyRefusedConsume(completed, secret, NOW)).toBe('already_used');
    expect(classifyRefusedConsume(completed, randomToken(), NOW, 'recorded-code')).toBe('binding_mismatch');
  });
});

describe('providerErrorLabel', () => {
  test.each(['access_denied', 'login_required', 'consent_required', 'server_error', 'temporarily_unavailable'])('%s is a known code, kept', (code) => {
    expect(providerErrorLabel(code)).toBe(code);
  });

  test.each(['made_up', 'ACCESS_DENIED', 'access_denied ', 'x'.repeat(128)])('%s is labelled other, so logs and metric dimensions stay a fixed set', (code) => {
    expect(providerErrorLabel(code)).toBe('other');
  });
});
